#include "libvtap/service/policy_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"

namespace vtap {
namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(what + ": " + std::strerror(errno)); }

// Writes all of `text` to `fd` and flushes it to disk.
void write_all(int fd, const std::string& text, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write " + path.string());
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) fail("cannot flush " + path.string());
}

class FileStore final : public PolicyStore {
 public:
  explicit FileStore(std::filesystem::path file) : file_(std::move(file)), journal_(file_.string() + ".journal") {}
  ~FileStore() override {
    try {
      if (journal_lines_ > 0) compact();
    } catch (const Error&) {
      // The journal stays; the next load() replays it.
    }
    if (fd_ >= 0) ::close(fd_);
  }

  std::vector<TapPolicy> load() override {
    policies_.clear();
    if (std::filesystem::exists(file_))
      for (auto& p : load_policies(file_)) policies_[p.id] = std::move(p);
    journal_lines_ = 0;
    std::ifstream in(journal_);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline: a torn last append
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
        if (j.contains("remove")) policies_.erase(j.at("remove").get<std::uint32_t>());
        else {
          TapPolicy p = j.at("put").get<TapPolicy>();
          policies_[p.id] = std::move(p);
        }
      } catch (const std::exception& e) {
        const std::size_t line_number = journal_lines_ + 1;
        journal_lines_ = 0;  // nothing to fold in: the journal stays for someone to look at
        throw ParseError(journal_.string() + ": line " + std::to_string(line_number) + ": " + e.what());
      }
      ++journal_lines_;
    }
    std::vector<TapPolicy> out;
    for (const auto& [id, p] : policies_) out.push_back(p);
    return out;
  }

  void save(const std::vector<TapPolicy>& policies) override {
    std::map<std::uint32_t, TapPolicy> next;
    for (const auto& p : policies) next[p.id] = p;
    replace_file(policies);
    policies_ = std::move(next);
  }

  void record(std::uint32_t id, const TapPolicy* policy) override {
    nlohmann::json line;
    if (policy) line["put"] = *policy;
    else line["remove"] = id;
    if (fd_ < 0) {
      fd_ = ::open(journal_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd_ < 0) fail("cannot open " + journal_.string());
    }
    write_all(fd_, line.dump() + "\n", journal_);
    ++journal_lines_;
    if (policy) policies_[id] = *policy;
    else policies_.erase(id);
    if (journal_lines_ * 8 > policies_.size()) try {
        compact();
      } catch (const Error&) {
        // The change is recorded; the journal is folded in at a later change.
      }
  }

 private:
  void compact() {
    std::vector<TapPolicy> all;
    all.reserve(policies_.size());
    for (const auto& [id, p] : policies_) all.push_back(p);
    replace_file(all);
  }

  // Writes the whole set beside the file, flushes it, renames it over the file, then empties
  // the journal (a crash in between replays changes the file already holds: harmless).
  void replace_file(const std::vector<TapPolicy>& policies) {
    const std::filesystem::path tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("cannot create " + tmp.string());
    try {
      write_all(fd, policies_to_json(policies).dump(2) + "\n", tmp);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) fail("cannot close " + tmp.string());
    if (::rename(tmp.c_str(), file_.c_str()) != 0) fail("cannot replace " + file_.string());
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    std::filesystem::remove(journal_);
    journal_lines_ = 0;
  }

  std::filesystem::path file_, journal_;
  std::map<std::uint32_t, TapPolicy> policies_;  // what the file and journal hold together
  std::size_t journal_lines_ = 0;
  int fd_ = -1;  // the journal, open for appending
};

}  // namespace

std::shared_ptr<PolicyStore> make_file_store(std::filesystem::path file) {
  return std::make_shared<FileStore>(std::move(file));
}

}  // namespace vtap
