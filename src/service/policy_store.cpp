#include "libvtap/service/policy_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"

namespace vtap {
namespace {

class FileStore final : public PolicyStore {
 public:
  explicit FileStore(std::filesystem::path file) : file_(std::move(file)) {}

  std::vector<TapPolicy> load() override {
    if (!std::filesystem::exists(file_)) return {};
    return load_policies(file_);
  }

  void save(const std::vector<TapPolicy>& policies) override {
    const std::string text = policies_to_json(policies).dump(2) + "\n";
    const std::filesystem::path tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("cannot create " + tmp.string());
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        fail("cannot write " + tmp.string());
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) fail("cannot flush " + tmp.string());
    if (::rename(tmp.c_str(), file_.c_str()) != 0) fail("cannot replace " + file_.string());
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { throw Error(what + ": " + std::strerror(errno)); }
  std::filesystem::path file_;
};

}  // namespace

std::shared_ptr<PolicyStore> make_file_store(std::filesystem::path file) {
  return std::make_shared<FileStore>(std::move(file));
}

}  // namespace vtap
