// Fuzzes the OpenFlow message decoder with arbitrary bytes, read as one message: the
// header's length (when it is sane) cuts the input, so both whole messages and length
// mismatches are exercised. Whatever decodes must re-encode with the same version and xid
// (decoding accepts only what the model can say) to bytes that decode to the same message,
// and re-encoding that must give the same bytes again.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "libvtap/openflow/messages.hpp"

namespace {

namespace of = vtap::openflow;

[[noreturn]] void fail(const char* what, std::span<const std::uint8_t> bytes, const std::string& detail) {
  std::string hex;
  for (std::uint8_t b : bytes) hex += {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15]};
  std::fprintf(stderr, "openflow_message_fuzz: %s: %s\n  bytes: %s\n", what, detail.c_str(), hex.c_str());
  std::abort();
}

std::vector<std::uint8_t> reencode(const of::Frame& frame, std::span<const std::uint8_t> input) {
  try {
    return of::encode(frame.message, frame.version, frame.xid);
  } catch (const vtap::Error& e) {
    fail("a decoded message does not encode", input, std::string(of::type_name(frame.message)) + ": " + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  try {
    const of::Header h = of::decode_header(input);
    if (h.length <= input.size()) input = input.first(h.length);
  } catch (const of::DecodeError&) {
    return 0;
  }
  // Negotiation reads any HELLO; it must not crash on anything else either.
  try {
    (void)of::negotiate_version(input);
  } catch (const of::DecodeError&) {
  }
  of::Frame first;
  try {
    first = of::decode(input);
  } catch (const of::DecodeError&) {
    return 0;
  }
  const std::vector<std::uint8_t> bytes = reencode(first, input);
  of::Frame second;
  try {
    second = of::decode(bytes);
  } catch (const of::DecodeError& e) {
    fail("a re-encoded message does not decode", input, e.what());
  }
  if (second.version != first.version || second.xid != first.xid || !(second.message == first.message)) {
    fail("decode(encode(decode(x))) differs from decode(x)", input, std::string(of::type_name(first.message)));
  }
  if (reencode(second, input) != bytes) fail("encoding is not stable", input, std::string(of::type_name(first.message)));
  return 0;
}
