// Fuzzes the OXM decoders with arbitrary bytes. The first byte picks the OpenFlow version;
// the rest is read as an ofp_match and, separately, as one OXM TLV. Whatever decodes must
// re-encode to bytes that decode to the same thing and re-encode to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "libvtap/openflow/oxm.hpp"

namespace {

using vtap::openflow::Reader;
using vtap::openflow::Version;
using vtap::openflow::Writer;
namespace errors = vtap::openflow::errors;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "oxm_match_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::vector<std::uint8_t> encode(const vtap::Match& m, Version v) {
  std::vector<std::uint8_t> out;
  Writer w(out);
  try {
    vtap::openflow::encode_match(m, v, w);
  } catch (const vtap::Error& e) {
    fail("a decoded match does not encode", m.to_string() + ": " + e.what());
  }
  return out;
}

void check_match(std::span<const std::uint8_t> data, Version v) {
  vtap::Match m;
  try {
    Reader r(data, errors::bmc_bad_len);
    m = vtap::openflow::decode_match(r);
  } catch (const vtap::openflow::DecodeError&) {
    return;  // Rejecting malformed bytes is the expected outcome for most inputs.
  }
  const auto bytes = encode(m, v);
  if (bytes.size() % 8 != 0) fail("encoded match is not padded to 8", m.to_string());
  Reader again(bytes, errors::bmc_bad_len);
  vtap::Match back;
  try {
    back = vtap::openflow::decode_match(again);
  } catch (const vtap::openflow::DecodeError& e) {
    fail("re-encoded match does not decode", m.to_string() + ": " + e.what());
  }
  if (back != m) fail("round trip changed the match", m.to_string() + " -> " + back.to_string());
  if (!again.empty()) fail("decoding left bytes of our own encoding", m.to_string());
  if (encode(back, v) != bytes) fail("encoding is not deterministic", m.to_string());
}

void check_tlv(std::span<const std::uint8_t> data, Version v) {
  vtap::openflow::OxmEntry e;
  try {
    Reader r(data, errors::bmc_bad_len);
    e = vtap::openflow::decode_oxm_field(r);
  } catch (const vtap::openflow::DecodeError&) {
    return;
  }
  std::vector<std::uint8_t> out;
  Writer w(out);
  try {
    vtap::openflow::encode_oxm_field(e.field, e.value, e.mask, v, w);
  } catch (const vtap::Error& error) {
    fail("a decoded OXM TLV does not encode", error.what());
  }
  Reader again(out, errors::bmc_bad_len);
  if (vtap::openflow::decode_oxm_field(again) != e || !again.empty()) fail("OXM TLV round trip differs", "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Version v = static_cast<Version>(4 + data[0] % 3);
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  check_match(rest, v);
  check_tlv(rest, v);
  return 0;
}
