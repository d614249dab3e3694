// Bounds-checked big-endian reading and writing for the OpenFlow codec.

#include "libvtap/openflow/buffer.hpp"

#include <string>

namespace vtap::openflow {

void Reader::require(std::size_t n) const {
  if (n > remaining()) {
    fail(underrun_, "need " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) + " left");
  }
}

std::uint64_t Reader::read_be(std::size_t n) {
  require(n);
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += n;
  return v;
}

std::uint16_t Reader::peek_u16(std::size_t offset) const {
  require(offset + 2);
  return static_cast<std::uint16_t>((data_[pos_ + offset] << 8) | data_[pos_ + offset + 1]);
}

std::span<const std::uint8_t> Reader::bytes(std::size_t n) {
  require(n);
  const auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Reader Reader::sub(std::size_t n, ErrorCode underrun) { return Reader(bytes(n), underrun); }

void Reader::fail(ErrorCode error, std::string_view detail) const {
  throw DecodeError(error, std::string(detail) + " (at offset " + std::to_string(pos_) + ")");
}

void Writer::put_be(std::uint64_t v, std::size_t n) {
  // One resize, not a push_back (and its capacity check) per byte.
  const std::size_t at = out_.size();
  out_.resize(at + n);
  for (std::size_t i = 0; i < n; ++i) out_[at + i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
}

void Writer::patch_u16(std::size_t at, std::uint16_t v) {
  if (at + 2 > out_.size()) throw Error("Writer::patch_u16: offset " + std::to_string(at) + " not written yet");
  out_[at] = static_cast<std::uint8_t>(v >> 8);
  out_[at + 1] = static_cast<std::uint8_t>(v);
}

void Writer::patch_length(std::size_t at, std::size_t start) {
  const std::size_t length = out_.size() - start;
  if (length > 0xffff) {
    throw Error("OpenFlow structure of " + std::to_string(length) + " bytes exceeds the 16-bit length field");
  }
  patch_u16(at, static_cast<std::uint16_t>(length));
}

}  // namespace vtap::openflow
