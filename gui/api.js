// vtapd's HTTP API (docs/api.md), with the caller's bearer token on every request.

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || null;
  }
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...extra };
  }

  // The parsed JSON body (null for 204); an ApiError for any status but 2xx.
  async call(method, path, body) {
    const init = { method, headers: this.headers(), cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, `vtapd cannot be reached (${e.message})`);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = data && data.error ? data.error : {};
      throw new ApiError(response.status, error.message || `${response.status} ${response.statusText}`, error.field);
    }
    return data;
  }

  policies() { return this.call('GET', '/v1/policies').then((d) => d.policies); }
  add(policy) { return this.call('POST', '/v1/policies', policy); }
  replace(id, policy) { return this.call('PUT', `/v1/policies/${id}`, policy); }
  remove(id) { return this.call('DELETE', `/v1/policies/${id}`); }
  stats() { return this.call('GET', '/v1/stats').then((d) => d.stats); }
  topology() { return this.call('GET', '/v1/topology'); }
  switches() { return this.call('GET', '/v1/switches').then((d) => d.switches); }
  whoami() { return this.call('GET', '/v1/whoami'); }
  explain(packet) { return this.call('POST', '/v1/explain', { packet }); }

  // Reads /v1/events until `signal` aborts, calling onOpen() once the stream is open and
  // onEvent({id, event, data}) per frame. EventSource cannot send an Authorization header,
  // so the stream is read with fetch(). Resolves when the stream ends; rejects (ApiError)
  // when it cannot be opened.
  async events(onEvent, signal, onOpen = () => {}) {
    const response = await fetch('/v1/events', {
      headers: this.headers({ Accept: 'text/event-stream' }), cache: 'no-store', signal,
    });
    if (!response.ok || !response.body) {
      throw new ApiError(response.status, `the event stream answered ${response.status}`);
    }
    onOpen();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser(onEvent);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  }
}

// Server-Sent Events framing (the subset of the WHATWG rules vtapd's frames need, done
// properly): lines end in CRLF, LF or CR; a blank line ends a frame; ':' lines are comments.
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.frame = { id: null, event: 'message', data: [] };
  }

  push(text) {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      if (this.frame.data.length) {
        this.onEvent({ id: this.frame.id, event: this.frame.event, data: this.frame.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.frame.data.push(value);
    else if (name === 'event') this.frame.event = value;
    else if (name === 'id') this.frame.id = value;
  }
}
