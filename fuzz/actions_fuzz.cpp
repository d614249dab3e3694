// Fuzzes the action and instruction decoders with arbitrary bytes. The first byte picks the
// OpenFlow version (low bits) and whether the rest is an action list or an instruction
// list. Whatever decodes must re-encode to bytes that decode to the same actions and
// re-encode to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "libvtap/openflow/actions.hpp"
#include "libvtap/openflow/instructions.hpp"

namespace {

using vtap::openflow::Reader;
using vtap::openflow::Version;
using vtap::openflow::Writer;
namespace errors = vtap::openflow::errors;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "actions_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::vector<vtap::Action> decode(std::span<const std::uint8_t> bytes, Version v, bool instructions) {
  Reader r(bytes, errors::brc_bad_len);
  return instructions ? vtap::openflow::decode_instructions(r, bytes.size(), v)
                      : vtap::openflow::decode_actions(r, bytes.size(), v);
}

std::vector<std::uint8_t> encode(const std::vector<vtap::Action>& actions, Version v, bool instructions) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  try {
    if (instructions) {
      vtap::openflow::encode_instructions(actions, v, w);
    } else {
      vtap::openflow::encode_actions(actions, v, w);
    }
  } catch (const vtap::Error& e) {
    fail("decoded actions do not encode", vtap::to_string(actions) + ": " + e.what());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Version v = static_cast<Version>(4 + (data[0] & 3U) % 3);
  const bool instructions = (data[0] & 4U) != 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  std::vector<vtap::Action> actions;
  try {
    actions = decode(rest, v, instructions);
  } catch (const vtap::openflow::DecodeError&) {
    return 0;  // Rejecting malformed bytes is the expected outcome for most inputs.
  }
  const auto bytes = encode(actions, v, instructions);
  std::vector<vtap::Action> back;
  try {
    back = decode(bytes, v, instructions);
  } catch (const vtap::openflow::DecodeError& e) {
    fail("re-encoded actions do not decode", vtap::to_string(actions) + ": " + e.what());
  }
  if (back != actions) fail("round trip changed the actions", vtap::to_string(actions) + " -> " + vtap::to_string(back));
  if (encode(back, v, instructions) != bytes) fail("encoding is not deterministic", vtap::to_string(actions));
  return 0;
}
