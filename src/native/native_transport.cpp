// The native transport: blocking SwitchConnections over Sessions that all live on one
// io_context, run by one thread the transport owns.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "libvtap/native/apply.hpp"
#include "libvtap/native/native_transport.hpp"

namespace vtap {
namespace {

namespace asio = boost::asio;
using openflow::Session;

// The io_context every session of one transport lives on, and the thread that runs it;
// shared by the transport and its connections, so either may go first.
struct IoThread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~IoThread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

class NativeConnection final : public SwitchConnection {
 public:
  NativeConnection(std::shared_ptr<IoThread> io, std::shared_ptr<Session> session, std::string target)
      : io_(std::move(io)), session_(std::move(session)), target_(std::move(target)) {}
  ~NativeConnection() override { close(); }

  const std::string& target() const noexcept override { return target_; }
  std::uint64_t datapath_id() const noexcept override { return session_->datapath_id(); }
  openflow::Version version() const noexcept override { return session_->version(); }
  // close() only posts the session's close to the I/O thread; closed_ makes is_open() false
  // at once for the caller, as the interface promises.
  bool is_open() const noexcept override { return !closed_.load() && session_->is_open(); }
  void close() noexcept override {
    closed_.store(true);
    auto s = session_;
    asio::post(io_->io, [s] { s->close(); });
  }

  std::vector<FlowRule> read_flows(std::uint64_t cookie, std::uint64_t cookie_mask) override {
    openflow::FlowStatsRequest flows;
    flows.cookie = cookie;
    flows.cookie_mask = cookie_mask;
    std::vector<FlowRule> out;
    for (auto& frame : request(openflow::MultipartRequest{0, flows}))
      for (auto& f : body<openflow::FlowStats>(frame)) out.push_back(std::move(f.rule));
    return out;
  }

  std::vector<GroupEntry> read_groups() override {
    std::vector<GroupEntry> out;
    for (auto& frame : request(openflow::MultipartRequest{0, openflow::GroupDescRequest{}}))
      for (auto& g : body<GroupEntry>(frame)) out.push_back(std::move(g));
    return out;
  }

  std::vector<MeterEntry> read_meters() override {
    std::vector<MeterEntry> out;
    for (auto& frame : request(openflow::MultipartRequest{0, openflow::MeterConfigRequest{}}))
      for (auto& m : body<MeterEntry>(frame)) out.push_back(std::move(m));
    return out;
  }

  openflow::BundleResult apply(const openflow::ChangeSet& change) override {
    std::promise<std::pair<std::error_code, openflow::BundleResult>> promise;
    auto future = promise.get_future();
    // Shared, not copied: this waits for the operation, so `change` outlives it.
    auto shared = std::shared_ptr<const openflow::ChangeSet>(std::shared_ptr<void>(), &change);
    asio::post(io_->io, [&, s = session_] {
      openflow::async_apply(s, shared, [&](std::error_code ec, openflow::BundleResult r) {
        promise.set_value({ec, std::move(r)});
      });
    });
    auto [ec, result] = future.get();
    if (!ec) return result;
    throw TransportError(ec, target_ + ": " + openflow::describe(ec) + openflow::refusal(change, result.failed_index),
                         result.failed_index, result.error);
  }

  SwitchStats stats() override {
    SwitchStats out;
    openflow::FlowStatsRequest flows;
    flows.cookie = cookie_magic;
    flows.cookie_mask = cookie_magic_mask;
    std::set<std::uint32_t> groups;
    for (auto& frame : request(openflow::MultipartRequest{0, flows}))
      for (auto& f : body<openflow::FlowStats>(frame)) {
        for (const Action& a : f.rule.actions)
          if (const auto* g = std::get_if<GroupAction>(&a)) groups.insert(g->group_id);
        out.flows.push_back(std::move(f));
      }
    for (auto& frame : request(openflow::MultipartRequest{0, openflow::GroupStatsRequest{}}))
      for (auto& g : body<openflow::GroupStats>(frame))
        if (groups.contains(g.group_id)) out.groups.push_back(std::move(g));
    std::sort(out.groups.begin(), out.groups.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
    return out;
  }

 private:
  // The entries of one multipart reply.
  template <class T>
  static std::vector<T>& body(openflow::Frame& frame) {
    return std::get<std::vector<T>>(std::get<openflow::MultipartReply>(frame.message).body);
  }

  std::vector<openflow::Frame> request(openflow::Message m) {
    return run<std::vector<openflow::Frame>>("request", [m = std::move(m)](std::shared_ptr<Session> s, auto done) {
      s->async_request(m, std::move(done));
    });
  }

  // Starts `op(session, handler)` on the I/O thread and waits for its handler.
  template <class T, class Op>
  T run(const char* what, Op op) {
    std::promise<std::pair<std::error_code, T>> promise;
    auto future = promise.get_future();
    asio::post(io_->io, [&, s = session_] {
      op(s, [&](std::error_code ec, T value) { promise.set_value({ec, std::move(value)}); });
    });
    auto [ec, value] = future.get();
    if (ec) throw TransportError(ec, target_ + ": " + what + ": " + openflow::describe(ec));
    return std::move(value);
  }

  std::shared_ptr<IoThread> io_;
  std::shared_ptr<Session> session_;
  std::string target_;
  std::atomic<bool> closed_{false};
};

class NativeTransport final : public Transport {
 public:
  std::string_view name() const noexcept override { return "native"; }

  std::unique_ptr<SwitchConnection> connect(std::string_view target,
                                            const openflow::SessionOptions& options) override {
    const auto parsed = openflow::Target::parse(target);
    std::promise<std::pair<std::error_code, std::shared_ptr<Session>>> promise;
    auto future = promise.get_future();
    asio::post(io_->io, [&] {
      try {
        Session::async_connect(io_->io, parsed, options, [&](std::error_code ec, std::shared_ptr<Session> s) {
          promise.set_value({ec, std::move(s)});
        });
      } catch (...) {
        promise.set_exception(std::current_exception());
      }
    });
    auto [ec, session] = future.get();
    if (ec) throw TransportError(ec, parsed.to_string() + ": cannot connect: " + openflow::describe(ec));
    return std::make_unique<NativeConnection>(io_, std::move(session), parsed.to_string());
  }

 private:
  std::shared_ptr<IoThread> io_ = std::make_shared<IoThread>();
};

}  // namespace

std::shared_ptr<Transport> make_native_transport() { return std::make_shared<NativeTransport>(); }

}  // namespace vtap
