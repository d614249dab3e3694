// Pipelined bundles over a libopenvswitch vconn (see ovs_bundle.hpp).

#include "ovs_bundle.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <vector>

#include "ovs_c.hpp"

extern "C" {
#include "openvswitch/poll-loop.h"
}

namespace vtap::ovs {
namespace {

using Clock = std::chrono::steady_clock;
using openflow::BundleControlType;
using openflow::Message;
using openflow::Version;

constexpr std::size_t max_open = 3;       // bundles the switch holds for us at once
constexpr std::size_t max_queued = 1024;  // encoded messages waiting for room in the socket
// Messages encoded, then written one after another, between looks at the switch's replies:
// the switch wakes once for a burst rather than for every message.
constexpr std::size_t burst = 16;
constexpr std::uint16_t bundle_flags = openflow::bundle_atomic | openflow::bundle_ordered;
constexpr std::size_t no_bundle = SIZE_MAX;

struct Bundle {
  std::size_t seq = 0;                        // the seq'th chunk of the messages; its bundle id too
  std::size_t first = 0, last = 0, next = 0;  // messages [first, last); next is the next to encode
  std::vector<std::uint32_t> xids;            // of its adds so far, in order
  std::uint32_t open_xid = 0, barrier_xid = 0, commit_xid = 0, discard_xid = 0;
  // adding: its adds are being encoded; checking: its barrier is out; checked: the barrier
  // came back with no add refused; committing: its commit is out; discarding: its discard is.
  enum class State { adding, checking, checked, committing, discarding } state = State::adding;
  std::uint32_t id() const noexcept { return static_cast<std::uint32_t>(seq); }
};

struct Queued {
  Buffer message;
  std::size_t seq;  // of the bundle it belongs to, dropped with it; no_bundle: never dropped
};

class Pipeline {
 public:
  Pipeline(vconn* v, Version version, std::span<const Message> mods, std::size_t chunk,
           std::chrono::milliseconds timeout, const Encoder& encode)
      : v_(v), version_(version), mods_(mods), chunk_(std::max<std::size_t>(1, chunk)), timeout_(timeout),
        encode_(encode), chunks_((mods.size() + chunk_ - 1) / chunk_) {}

  BundleOutcome run() {
    progress_ = Clock::now();
    for (;;) {
      flush();
      if (broken()) break;
      receive();
      if (broken()) break;
      commit_front();
      if (bundles_.empty() && queue_.empty() && (stopping_ || opened_ == chunks_)) break;
      if (may_encode()) {
        encode_some();
      } else {
        wait();
      }
      if (broken()) break;
    }
    return std::move(out_);
  }

 private:
  bool broken() const noexcept { return out_.io_error != 0 || out_.timed_out; }

  // Hands queued messages to the vconn for as long as it takes them.
  void flush() {
    vconn_run(v_);
    while (!queue_.empty()) {
      const int error = vconn_send(v_, queue_.front().message.get());
      if (error == EAGAIN) return;
      if (error) {
        out_.io_error = error;
        return;
      }
      (void)queue_.front().message.release();  // The vconn took it.
      queue_.pop_front();
      progress_ = Clock::now();
    }
  }

  // Handles everything the switch has sent so far.
  void receive() {
    for (;;) {
      ofpbuf* raw = nullptr;
      const int error = vconn_recv(v_, &raw);
      if (error == EAGAIN) return;
      if (error) {
        out_.io_error = error;
        return;
      }
      progress_ = Clock::now();
      handle(Buffer(raw));
      if (broken()) return;
    }
  }

  template <class Pred>
  Bundle* find(Pred pred) {
    auto it = std::find_if(bundles_.begin(), bundles_.end(), pred);
    return it == bundles_.end() ? nullptr : &*it;
  }

  void retire(std::size_t seq) {
    std::erase_if(bundles_, [&](const Bundle& b) { return b.seq == seq; });
  }

  void handle(Buffer b) {
    const std::uint32_t xid = xid_of(*b);
    switch (kind_of(*b)) {
      case Kind::echo_request:
        queue_.push_front({make_echo_reply(*b), no_bundle});
        return;
      case Kind::barrier_reply:
        if (Bundle* bundle = find([&](const Bundle& x) { return x.barrier_xid == xid; });
            bundle && bundle->state == Bundle::State::checking)
          bundle->state = Bundle::State::checked;
        return;
      case Kind::bundle_control:
        return control_reply(*b, xid);
      case Kind::error:
        return refused(std::move(b), xid);
      case Kind::other:
        return;  // A stray reply to something earlier.
    }
  }

  // A commit or discard reply (an open reply needs nothing: a refused open is an error).
  void control_reply(const ofpbuf& b, std::uint32_t xid) {
    Bundle* bundle = find([&](const Bundle& x) { return x.commit_xid == xid || x.discard_xid == xid; });
    if (!bundle) return;
    const bool commit = xid == bundle->commit_xid;
    const auto reply = decode_bundle_control(b);
    const auto want = commit ? BundleControlType::commit_reply : BundleControlType::discard_reply;
    if (!reply || reply->bundle_id != bundle->id() || reply->type != want) {
      out_.io_error = EPROTO;  // As vconn_bundle_transact() takes a reply that does not match.
      return;
    }
    if (commit) {
      out_.result.messages += bundle->last - bundle->first;
      ++out_.result.bundles;
    }
    retire(bundle->seq);
  }

  // The switch's error: for an add (naming it), or an open, barrier or commit of a bundle.
  void refused(Buffer b, std::uint32_t xid) {
    Bundle* bundle = nullptr;
    std::optional<std::size_t> index;
    for (Bundle& x : bundles_) {
      if (xid == x.open_xid || xid == x.barrier_xid || xid == x.commit_xid || xid == x.discard_xid) {
        bundle = &x;
        break;
      }
      if (auto it = std::find(x.xids.begin(), x.xids.end(), xid); it != x.xids.end()) {
        bundle = &x;
        index = x.first + static_cast<std::size_t>(it - x.xids.begin());
        break;
      }
    }
    if (!bundle) {
      // An error for nothing in flight: like vconn_bundle_transact(), take it as a refusal.
      if (bundles_.empty()) return;
      bundle = &bundles_.front();
    }
    const std::size_t seq = bundle->seq;
    if (bundle->state == Bundle::State::discarding) {
      if (xid == bundle->discard_xid) retire(seq);  // The switch had not opened it.
      return;
    }
    // A commit refused names the refused add first, then comes the commit's own error,
    // after which the switch holds the bundle no more.
    const bool commit_refused = bundle->state == Bundle::State::committing && xid == bundle->commit_xid;
    stop(seq, std::move(b), index, nullptr);
    if (commit_refused) retire(seq);
  }

  // Bundle `seq` failed: remembered unless an earlier one did, and it and those after it
  // are given up (those before it go on to their commits).
  void stop(std::size_t seq, Buffer error, std::optional<std::size_t> index, std::exception_ptr encode_error) {
    if (!failed_seq_ || seq < *failed_seq_) {
      failed_seq_ = seq;
      out_.error = std::move(error);
      out_.failed_index = index;
      out_.encode_error = std::move(encode_error);
    }
    stopping_ = true;
    auto queued = [&](std::uint32_t xid) {
      return std::any_of(queue_.begin(), queue_.end(), [&](const Queued& q) { return xid_of(*q.message) == xid; });
    };
    for (auto it = bundles_.begin(); it != bundles_.end();) {
      Bundle& x = *it;
      if (x.seq < seq || x.state == Bundle::State::committing || x.state == Bundle::State::discarding) {
        ++it;
      } else if (queued(x.open_xid)) {
        it = bundles_.erase(it);  // The switch has heard nothing of it.
      } else {
        Buffer discard = encode_bundle_control(version_, {x.id(), BundleControlType::discard_request, bundle_flags});
        x.discard_xid = xid_of(*discard);
        x.state = Bundle::State::discarding;
        queue_.push_back({std::move(discard), no_bundle});
        ++it;
      }
    }
    // Messages of the given-up bundles that are still queued go nowhere.
    std::erase_if(queue_, [&](const Queued& q) { return q.seq != no_bundle && q.seq >= seq; });
  }

  // Commits the oldest bundle once its barrier showed no refused add: the commit goes
  // ahead of queued adds of later bundles.
  void commit_front() {
    if (bundles_.empty() || bundles_.front().state != Bundle::State::checked) return;
    Bundle& b = bundles_.front();
    Buffer commit = encode_bundle_control(version_, {b.id(), BundleControlType::commit_request, bundle_flags});
    b.commit_xid = xid_of(*commit);
    b.state = Bundle::State::committing;
    queue_.push_front({std::move(commit), no_bundle});
  }

  bool may_encode() const noexcept {
    if (stopping_ || queue_.size() >= max_queued) return false;
    if (!bundles_.empty() && bundles_.back().state == Bundle::State::adding) return true;
    return opened_ < chunks_ && bundles_.size() < max_open;
  }

  void open() {
    Bundle b;
    b.seq = opened_++;
    b.first = b.next = b.seq * chunk_;
    b.last = std::min(mods_.size(), b.first + chunk_);
    b.xids.reserve(b.last - b.first);
    Buffer open = encode_bundle_control(version_, {b.id(), BundleControlType::open_request, bundle_flags});
    b.open_xid = xid_of(*open);
    queue_.push_back({std::move(open), b.seq});
    bundles_.push_back(std::move(b));
  }

  // Encodes the next burst of messages and writes them, opening bundles and closing each
  // with its barrier as it goes.
  void encode_some() {
    for (std::size_t n = 0; n < burst && may_encode(); ++n) {
      if (bundles_.empty() || bundles_.back().state != Bundle::State::adding) open();
      Bundle& b = bundles_.back();
      Buffer inner;
      try {
        inner = encode_(mods_[b.next]);
      } catch (...) {
        stop(b.seq, nullptr, std::nullopt, std::current_exception());
        return;
      }
      Buffer add = encode_bundle_add(version_, b.id(), bundle_flags, *inner);
      b.xids.push_back(xid_of(*add));
      queue_.push_back({std::move(add), b.seq});
      if (++b.next == b.last) {
        Buffer barrier = encode_barrier_request(version_);
        b.barrier_xid = xid_of(*barrier);
        b.state = Bundle::State::checking;
        queue_.push_back({std::move(barrier), b.seq});
      }
    }
    flush();
  }

  // Waits until the switch can take more or has sent something; times out when it has done
  // neither for the timeout.
  void wait() {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_ - (Clock::now() - progress_));
    if (left.count() <= 0) {
      out_.timed_out = true;
      return;
    }
    vconn_run_wait(v_);
    vconn_recv_wait(v_);
    if (!queue_.empty()) vconn_send_wait(v_);
    poll_timer_wait(left.count() + 1);
    poll_block();
  }

  vconn* v_;
  Version version_;
  std::span<const Message> mods_;
  std::size_t chunk_;
  std::chrono::milliseconds timeout_;
  const Encoder& encode_;
  std::size_t chunks_;
  std::size_t opened_ = 0;       // bundles opened so far
  std::deque<Bundle> bundles_;   // opened and not yet committed or discarded, oldest first
  std::deque<Queued> queue_;     // encoded, not yet taken by the vconn
  bool stopping_ = false;        // a bundle failed: no more are opened
  std::optional<std::size_t> failed_seq_;
  Clock::time_point progress_;   // when the switch last read or sent something
  BundleOutcome out_;
};

}  // namespace

BundleOutcome send_bundles(vconn* v, Version version, std::span<const Message> mods, std::size_t chunk,
                           std::chrono::milliseconds timeout, const Encoder& encode) {
  return Pipeline(v, version, mods, chunk, timeout, encode).run();
}

}  // namespace vtap::ovs
