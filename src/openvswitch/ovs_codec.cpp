#include "ovs_codec.hpp"

#include "libvtap/model/ownership.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <mutex>
#include <variant>

#include "libvtap/model/error.hpp"
#include "libvtap/openflow/buffer.hpp"
#include "libvtap/openflow/instructions.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "ovs_c.hpp"
#include "ovs_lib.h"

namespace vtap::ovs {
namespace {

using openflow::Version;

std::uint64_t be64(ovs_be64 v) noexcept { return __builtin_bswap64(static_cast<std::uint64_t>(v)); }
ovs_be64 to_be64(std::uint64_t v) noexcept { return static_cast<ovs_be64>(__builtin_bswap64(v)); }
std::uint32_t be32(ovs_be32 v) noexcept { return __builtin_bswap32(static_cast<std::uint32_t>(v)); }

ofp_version ovs_version(Version v) noexcept { return static_cast<ofp_version>(static_cast<std::uint8_t>(v)); }
ofputil_protocol ovs_protocol(Version v) noexcept { return ofputil_protocol_from_ofp_version(ovs_version(v)); }

// A malloc()'d C string returned by OVS (a parse error), freed on scope exit.
struct CString {
  char* s;
  ~CString() { std::free(s); }
};

// An initialised `struct ofpbuf` on the stack (ofpbuf_init/ofpbuf_uninit).
struct StackBuffer {
  ofpbuf b;
  StackBuffer() { ofpbuf_init(&b, 0); }
  ~StackBuffer() { ofpbuf_uninit(&b); }
  StackBuffer(const StackBuffer&) = delete;
  StackBuffer& operator=(const StackBuffer&) = delete;
};

// An OVS flow_mod: its match and actions are freed on scope exit.
struct FlowModC {
  ofputil_flow_mod fm{};
  bool parsed = false;
  ~FlowModC() {
    if (!parsed) return;
    minimatch_destroy(&fm.match);
    std::free(const_cast<ofpact*>(fm.ofpacts));
  }
};
struct GroupModC {
  ofputil_group_mod gm{};
  bool parsed = false;
  ~GroupModC() {
    if (parsed) ofputil_uninit_group_mod(&gm);
  }
};
struct MeterModC {
  ofputil_meter_mod mm{};
  ~MeterModC() { std::free(mm.meter.bands); }
};
struct GroupDescC {
  ofputil_group_desc gd{};
  bool decoded = false;
  ~GroupDescC() {
    if (decoded) ofputil_uninit_group_desc(&gd);
  }
};

// A copy of `b`'s bytes that OVS's pulling decoders may consume (they advance `data`).
struct Cursor {
  ofpbuf b;
  explicit Cursor(const ofpbuf& from) { ofpbuf_use_const(&b, from.data, from.size); }
};

std::string flow_text(const openflow::FlowMod& m) {
  using C = openflow::FlowModCommand;
  if (m.command == C::add || m.command == C::modify || m.command == C::modify_strict) {
    return m.rule.to_string();
  }
  std::string out = "table=" + std::to_string(m.rule.table);
  if (m.command == C::delete_strict) out += ",priority=" + std::to_string(m.rule.priority);
  const std::string match = m.rule.match.to_string();
  if (!match.empty()) out += "," + match;
  if (m.out_port != openflow::port_any) out += ",out_port=" + port_to_string(m.out_port);
  return out;
}

[[noreturn]] void refused(const std::string& what, const std::string& text, const char* reason) {
  throw Error("Open vSwitch cannot parse " + what + " '" + text + "': " + reason);
}

Buffer encode_flow_mod(const openflow::FlowMod& m, Version version) {
  const std::string text = flow_text(m);
  FlowModC c;
  ofputil_protocol usable{};
  CString error{parse_ofp_flow_mod_str(&c.fm, text.c_str(), nullptr, nullptr, static_cast<int>(m.command), &usable)};
  if (error.s) refused("flow", text, error.s);
  c.parsed = true;
  // What ovs-ofctl text does not carry, set as libvtap's message has it.
  c.fm.cookie = to_be64(m.rule.cookie);
  c.fm.cookie_mask = to_be64(m.cookie_mask);
  c.fm.idle_timeout = m.idle_timeout;
  c.fm.hard_timeout = m.hard_timeout;
  c.fm.flags = static_cast<ofputil_flow_mod_flags>(m.flags);
  c.fm.out_group = m.out_group;
  return Buffer(ofputil_encode_flow_mod(&c.fm, ovs_protocol(version)));
}

Buffer encode_group_mod(const openflow::GroupMod& m, Version version) {
  const bool del = m.command == openflow::GroupModCommand::delete_;
  const std::string text = !del                                    ? m.group.to_string()
                           : m.group.group_id == openflow::group_all ? std::string("group_id=all")
                                                                     : "group_id=" + std::to_string(m.group.group_id);
  GroupModC c;
  ofputil_protocol usable{};
  CString error{parse_ofp_group_mod_str(&c.gm, static_cast<int>(m.command), text.c_str(), nullptr, nullptr, &usable)};
  if (error.s) refused("group", text, error.s);
  c.parsed = true;
  return Buffer(ofputil_encode_group_mod(ovs_version(version), &c.gm, nullptr, -1));
}

Buffer encode_meter_mod(const openflow::MeterMod& m, Version version) {
  const bool del = m.command == openflow::MeterModCommand::delete_;
  const std::string text = !del                                    ? m.meter.to_string()
                           : m.meter.meter_id == openflow::meter_all ? std::string("meter=all")
                                                                     : "meter=" + std::to_string(m.meter.meter_id);
  MeterModC c;
  ofputil_protocol usable{};
  CString error{parse_ofp_meter_mod_str(&c.mm, text.c_str(), static_cast<int>(m.command), &usable)};
  if (error.s) refused("meter", text, error.s);
  return Buffer(ofputil_encode_meter_mod(ovs_version(version), &c.mm));
}

// libvtap's actions from OVS's decoded ofpacts, as OVS writes them for `version`; with
// `references`, only the group and meter actions (of a rule libvtap's model cannot hold).
std::vector<Action> actions_of(const ofpact* ofpacts, std::size_t len, Version version, bool instructions,
                               bool references = false) {
  StackBuffer out;
  if (instructions) {
    ofpacts_put_openflow_instructions(ofpacts, len, &out.b, ovs_version(version));
  } else {
    ofpacts_put_openflow_actions(ofpacts, len, &out.b, ovs_version(version));
  }
  openflow::Reader in(bytes_of(out.b), openflow::errors::bac_bad_len);
  if (references)
    return instructions ? openflow::decode_instruction_references(in, out.b.size, version)
                        : openflow::decode_action_references(in, out.b.size, version);
  return instructions ? openflow::decode_instructions(in, out.b.size, version)
                      : openflow::decode_actions(in, out.b.size, version);
}

Match match_of(const match& m, Version version) {
  StackBuffer out;
  ofputil_put_ofp11_match(&out.b, &m, ovs_protocol(version));
  openflow::Reader in(bytes_of(out.b), openflow::errors::bmc_bad_len);
  return openflow::decode_match(in);
}

// OVS's reply decoders assert (abort) on a message of another type: check it first, as
// whatever a switch sends is untrusted.
void require_type(const ofpbuf& b, ofptype want, const char* what) {
  ofptype type{};
  if (b.size < sizeof(ofp_header) || ofptype_decode(&type, static_cast<const ofp_header*>(b.data)) || type != want)
    throw Error(std::string("expected a ") + what + " reply, got " +
                (b.size < sizeof(ofp_header) ? std::string("a truncated message")
                                             : "message type " + std::to_string(static_cast<const ofp_header*>(b.data)->type)));
}

template <class Entry>
[[noreturn]] void undecodable(const char* what, int error) {
  throw Error(std::string("Open vSwitch cannot decode a ") + what + " reply: " +
              (error > 0 && ofperr_is_valid(static_cast<ofperr>(error)) ? ofperr_get_name(static_cast<ofperr>(error))
                                                                         : std::strerror(error)));
}

}  // namespace

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { vtap_ovs_init(); });
}

SigpipeGuard::SigpipeGuard() noexcept {
  sigset_t pending, pipe, old;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe, &old);
  was_blocked_ = sigismember(&old, SIGPIPE) == 1;
}

SigpipeGuard::~SigpipeGuard() {
  sigset_t pending, pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }
  if (!was_blocked_) pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
}

void OfpbufDelete::operator()(ofpbuf* b) const noexcept { ofpbuf_delete(b); }

std::span<const std::uint8_t> bytes_of(const ofpbuf& b) noexcept {
  return {static_cast<const std::uint8_t*>(b.data), b.size};
}

std::uint32_t xid_of(const ofpbuf& b) noexcept { return be32(static_cast<const ofp_header*>(b.data)->xid); }

Buffer encode(const openflow::Message& message, Version version) {
  init_once();
  if (const auto* f = std::get_if<openflow::FlowMod>(&message)) return encode_flow_mod(*f, version);
  if (const auto* g = std::get_if<openflow::GroupMod>(&message)) return encode_group_mod(*g, version);
  if (const auto* m = std::get_if<openflow::MeterMod>(&message)) return encode_meter_mod(*m, version);
  throw Error("the Open vSwitch encoder takes flow, group and meter mods, not " +
              std::string(openflow::type_name(message)));
}

std::string to_string(std::span<const std::uint8_t> message) {
  init_once();
  char* text = ofp_to_string(message.data(), message.size(), nullptr, nullptr, 2);
  std::string out = text;
  std::free(text);
  return out;
}

openflow::ErrorMessage decode_error(const ofpbuf& message) {
  StackBuffer payload;
  const ofperr error = ofperr_decode_msg(static_cast<const ofp_header*>(message.data), &payload.b);
  openflow::ErrorMessage out;
  if (!error) {
    out.code = openflow::errors::brc_bad_len;
    return out;
  }
  const int type = ofperr_get_type(error, OFP15_VERSION);
  const int code = ofperr_get_code(error, OFP15_VERSION);
  if (type < 0 || code < 0) {
    // Only a vendor extension: report it as OVS's OpenFlow 1.3 form names it.
    out.code = {openflow::error_type::experimenter, static_cast<std::uint16_t>(ofperr_get_code(error, OFP13_VERSION))};
    out.experimenter = static_cast<std::uint32_t>(ofperr_get_vendor(error, OFP13_VERSION));
  } else {
    out.code = {static_cast<std::uint16_t>(type), static_cast<std::uint16_t>(code)};
  }
  const auto data = bytes_of(payload.b);
  out.data.assign(data.begin(), data.end());
  return out;
}

std::vector<openflow::FlowStats> decode_flow_stats(const ofpbuf& part, Version version) {
  require_type(part, OFPTYPE_FLOW_STATS_REPLY, "flow stats");
  Cursor cursor(part);
  StackBuffer ofpacts;
  std::vector<openflow::FlowStats> out;
  for (;;) {
    ofputil_flow_stats fs{};
    const int error = ofputil_decode_flow_stats_reply(&fs, &cursor.b, false, &ofpacts.b);
    if (error == EOF) break;
    if (error) undecodable<openflow::FlowStats>("flow stats", error);
    openflow::FlowStats s;
    s.rule.table = fs.table_id;
    s.rule.priority = fs.priority;
    s.rule.cookie = be64(fs.cookie);
    try {
      s.rule.match = match_of(fs.match, version);
      s.rule.actions = actions_of(fs.ofpacts, fs.ofpacts_len, version, true);
    } catch (const Error&) {
      // Another controller's rule that libvtap's model cannot hold: what libvtap needs of it.
      if (is_libvtap_cookie(s.rule.cookie)) throw;
      s.rule.match = Match{};
      s.rule.actions = actions_of(fs.ofpacts, fs.ofpacts_len, version, true, true);
    }
    s.duration_sec = fs.duration_sec;
    s.duration_nsec = fs.duration_nsec;
    s.idle_timeout = fs.idle_timeout;
    s.hard_timeout = fs.hard_timeout;
    s.flags = static_cast<std::uint16_t>(fs.flags & 0x1f);  // OFPUTIL_FF_* below 32 are OFPFF_* in 1.3+.
    s.packet_count = fs.packet_count;
    s.byte_count = fs.byte_count;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<GroupEntry> decode_group_desc(const ofpbuf& part, Version version) {
  require_type(part, OFPTYPE_GROUP_DESC_STATS_REPLY, "group description");
  Cursor cursor(part);
  std::vector<GroupEntry> out;
  for (;;) {
    GroupDescC c;
    const int error = ofputil_decode_group_desc_reply(&c.gd, &cursor.b, ovs_version(version));
    if (error == EOF) break;
    if (error) undecodable<GroupEntry>("group description", error);
    c.decoded = true;
    GroupEntry g;
    g.group_id = c.gd.group_id;
    g.type = static_cast<GroupType>(c.gd.type);
    for (const ovs_list* n = c.gd.buckets.next; n != &c.gd.buckets; n = n->next) {
      const auto* b = reinterpret_cast<const ofputil_bucket*>(reinterpret_cast<const char*>(n) -
                                                              offsetof(ofputil_bucket, list_node));
      Bucket bucket{b->bucket_id, {}};
      try {
        bucket.actions = actions_of(b->ofpacts, b->ofpacts_len, version, false);
      } catch (const Error&) {
        bucket.actions = actions_of(b->ofpacts, b->ofpacts_len, version, false, true);
      }
      g.buckets.push_back(std::move(bucket));
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<MeterEntry> decode_meter_config(const ofpbuf& part) {
  require_type(part, OFPTYPE_METER_CONFIG_STATS_REPLY, "meter configuration");
  Cursor cursor(part);
  StackBuffer bands;
  std::vector<MeterEntry> out;
  for (;;) {
    ofputil_meter_config mc{};
    const int error = ofputil_decode_meter_config(&cursor.b, &mc, &bands.b);
    if (error == EOF) break;
    if (error) undecodable<MeterEntry>("meter configuration", error);
    MeterEntry m;
    m.meter_id = mc.meter_id;
    m.unit = (mc.flags & OFPMF13_KBPS) ? MeterEntry::Unit::kbps : MeterEntry::Unit::pktps;
    if (mc.n_bands > 0) {
      m.rate = mc.bands[0].rate;
      m.burst = (mc.flags & OFPMF13_BURST) ? mc.bands[0].burst_size : 0;
    }
    out.push_back(m);
  }
  return out;
}

std::vector<openflow::GroupStats> decode_group_stats(const ofpbuf& part) {
  require_type(part, OFPTYPE_GROUP_STATS_REPLY, "group stats");
  Cursor cursor(part);
  std::vector<openflow::GroupStats> out;
  for (;;) {
    ofputil_group_stats gs{};
    const int error = ofputil_decode_group_stats_reply(&cursor.b, &gs);
    if (error == EOF) break;
    if (error) undecodable<openflow::GroupStats>("group stats", error);
    openflow::GroupStats g;
    g.group_id = gs.group_id;
    g.ref_count = gs.ref_count;
    g.total = {gs.packet_count, gs.byte_count};
    for (std::uint32_t i = 0; i < gs.n_buckets; ++i)
      g.buckets.push_back({gs.bucket_stats[i].packet_count, gs.bucket_stats[i].byte_count});
    std::free(gs.bucket_stats);
    out.push_back(std::move(g));
  }
  return out;
}

Buffer encode_features_request(Version version) {
  return Buffer(ofpraw_alloc(OFPRAW_OFPT_FEATURES_REQUEST, static_cast<std::uint8_t>(version), 0));
}

Buffer encode_barrier_request(Version version) { return Buffer(ofputil_encode_barrier_request(ovs_version(version))); }

Buffer encode_flow_stats_request(Version version, std::uint64_t cookie, std::uint64_t cookie_mask) {
  ofputil_flow_stats_request fsr{};
  fsr.aggregate = false;
  match_init_catchall(&fsr.match);
  fsr.cookie = to_be64(cookie);
  fsr.cookie_mask = to_be64(cookie_mask);
  fsr.out_port = OFPP_ANY;
  fsr.out_group = OFPG_ANY;
  fsr.table_id = 0xff;
  return Buffer(ofputil_encode_flow_stats_request(&fsr, ovs_protocol(version)));
}

Buffer encode_group_desc_request(Version version) {
  return Buffer(ofputil_encode_group_desc_request(ovs_version(version), OFPG_ALL));
}

Buffer encode_group_stats_request(Version version) {
  return Buffer(ofputil_encode_group_stats_request(ovs_version(version), OFPG_ALL));
}

Buffer encode_meter_config_request(Version version) {
  return Buffer(ofputil_encode_meter_request(ovs_version(version), OFPUTIL_METER_CONFIG, OFPM13_ALL));
}

Buffer encode_bundle_control(Version version, const openflow::BundleControl& control) {
  ofputil_bundle_ctrl_msg bc{control.bundle_id, static_cast<std::uint16_t>(control.type), control.flags};
  Buffer request(ofputil_encode_bundle_ctrl_request(ovs_version(version), &bc));
  ofpmsg_update_length(request.get());  // As vconn_bundle_control_transact() does (vconn_send would too).
  return request;
}

Buffer encode_bundle_add(Version version, std::uint32_t bundle_id, std::uint16_t flags, ofpbuf& message) {
  ofpmsg_update_length(&message);
  ofputil_bundle_add_msg bam{bundle_id, flags, static_cast<const ofp_header*>(message.data)};
  return Buffer(ofputil_encode_bundle_add(ovs_version(version), &bam));
}

std::optional<openflow::BundleControl> decode_bundle_control(const ofpbuf& b) noexcept {
  if (kind_of(b) != Kind::bundle_control) return std::nullopt;
  ofputil_bundle_ctrl_msg bc{};
  if (ofputil_decode_bundle_ctrl(static_cast<const ofp_header*>(b.data), &bc)) return std::nullopt;
  return openflow::BundleControl{bc.bundle_id, static_cast<openflow::BundleControlType>(bc.type), bc.flags};
}

std::uint64_t decode_datapath_id(const ofpbuf& reply) {
  require_type(reply, OFPTYPE_FEATURES_REPLY, "features");
  Cursor cursor(reply);
  ofputil_switch_features features{};
  const ofperr error = ofputil_pull_switch_features(&cursor.b, &features);
  if (error) throw Error(std::string("Open vSwitch cannot decode the features reply: ") + ofperr_get_name(error));
  return features.datapath_id;
}

Kind kind_of(const ofpbuf& b) noexcept {
  ofptype type{};
  if (b.size < sizeof(ofp_header) || ofptype_decode(&type, static_cast<const ofp_header*>(b.data))) return Kind::other;
  if (type == OFPTYPE_ERROR) return Kind::error;
  if (type == OFPTYPE_ECHO_REQUEST) return Kind::echo_request;
  if (type == OFPTYPE_BARRIER_REPLY) return Kind::barrier_reply;
  if (type == OFPTYPE_BUNDLE_CONTROL) return Kind::bundle_control;
  return Kind::other;
}

bool more_follows(const ofpbuf& b) noexcept {
  // ofpmp_more() asserts on anything but a well-formed multipart message (found by
  // fuzz/ovs_reply_fuzz.cpp): check that first.
  const auto* oh = static_cast<const ofp_header*>(b.data);
  ofptype type{};
  if (b.size < sizeof *oh || ofptype_decode(&type, oh) || !ofpmsg_is_stat_reply(oh)) return false;
  return ofpmp_more(oh);
}

Buffer make_echo_reply(const ofpbuf& request) {
  const auto* oh = static_cast<const ofp_header*>(request.data);
  Buffer reply(ofpraw_alloc_reply(OFPRAW_OFPT_ECHO_REPLY, oh, request.size - sizeof *oh));
  ofpbuf_put(reply.get(), static_cast<const char*>(request.data) + sizeof *oh, request.size - sizeof *oh);
  return reply;
}

}  // namespace vtap::ovs
