#pragma once
/// @file
/// Big-endian byte readers and writers for the OpenFlow codec.
///
/// Reader never reads past its span: every read checks the remaining length first and
/// throws DecodeError with the error code the reader was built with (the error a switch
/// reports for a truncated structure of that kind, e.g. OFPBAC_BAD_LEN inside actions).
/// Writer appends to a caller's vector and can patch length fields afterwards.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "libvtap/openflow/error.hpp"

namespace vtap::openflow {

/// Rounds `n` up to a multiple of 8, the alignment of every OpenFlow structure.
constexpr std::size_t pad8(std::size_t n) noexcept { return (n + 7U) & ~std::size_t{7}; }

/// A bounds-checked big-endian cursor over bytes it does not own.
class Reader {
 public:
  /// Reads `data`; a read past its end throws DecodeError(`underrun`).
  Reader(std::span<const std::uint8_t> data, ErrorCode underrun) noexcept : data_(data), underrun_(underrun) {}

  /// Bytes not read yet.
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return remaining() == 0; }
  /// Bytes read so far (the offset of the next read from the start of the span).
  std::size_t offset() const noexcept { return pos_; }
  /// The error code thrown on underrun.
  ErrorCode underrun_error() const noexcept { return underrun_; }

  std::uint8_t u8() { return static_cast<std::uint8_t>(read_be(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(read_be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(read_be(4)); }
  std::uint64_t u64() { return read_be(8); }

  /// The big-endian u16 at `offset` bytes past the cursor, without consuming it.
  std::uint16_t peek_u16(std::size_t offset = 0) const;

  /// The next `n` bytes, consumed.
  std::span<const std::uint8_t> bytes(std::size_t n);
  /// Consumes `n` bytes.
  void skip(std::size_t n) { (void)bytes(n); }
  /// Consumes the next `n` bytes and returns a reader over exactly them, which throws
  /// `underrun` (by default this reader's code) when a read runs past them.
  Reader sub(std::size_t n, ErrorCode underrun);
  Reader sub(std::size_t n) { return sub(n, underrun_); }
  /// Consumes the padding that follows a structure of `length` bytes (to a multiple of 8).
  void skip_padding(std::size_t length) { skip(pad8(length) - length); }

  /// Throws DecodeError(`error`, `detail`) naming the current offset.
  [[noreturn]] void fail(ErrorCode error, std::string_view detail) const;

 private:
  std::uint64_t read_be(std::size_t n);
  void require(std::size_t n) const;

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  ErrorCode underrun_;
};

/// Appends big-endian values to a byte vector owned by the caller.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) noexcept : out_(out) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Bytes in the vector (also the offset the next write lands at).
  std::size_t size() const noexcept { return out_.size(); }
  const std::vector<std::uint8_t>& data() const noexcept { return out_; }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_be(v, 2); }
  void u32(std::uint32_t v) { put_be(v, 4); }
  void u64(std::uint64_t v) { put_be(v, 8); }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, std::uint8_t{0}); }

  /// Overwrites the big-endian u16 at offset `at` (which must already be written).
  void patch_u16(std::size_t at, std::uint16_t v);
  /// Writes into the u16 at `at` the number of bytes from `start` to the end; throws
  /// vtap::Error when that does not fit in 16 bits (too many actions for one message).
  void patch_length(std::size_t at, std::size_t start);
  /// Appends zeros until the bytes written since `start` are a multiple of 8.
  void pad_to_8(std::size_t start) { zeros(pad8(size() - start) - (size() - start)); }

 private:
  void put_be(std::uint64_t v, std::size_t n);

  std::vector<std::uint8_t>& out_;
};

}  // namespace vtap::openflow
