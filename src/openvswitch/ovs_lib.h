/* The few libopenvswitch services whose headers (lib/ headers) are C only, behind plain C
 * functions that C++ can call. Everything else libvtap uses from Open vSwitch comes from
 * its public, C++-clean headers (include/openvswitch/) directly. */
#ifndef VTAP_SRC_OVS_OVS_LIB_H
#define VTAP_SRC_OVS_OVS_LIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One-time set-up of libopenvswitch for use inside another program: initialises its
 * fatal-signal module and then puts back the process's own SIGTERM/SIGINT/SIGHUP/SIGALRM
 * handlers (left alone, OVS would swallow them until its next poll_block()), and turns
 * its logging to syslog off and to the console down to errors. Not thread-safe: call it
 * once (the C++ side does, under std::call_once). */
void vtap_ovs_init(void);

/* The DSCP value OVS's own tools give OpenFlow connections (DSCP_DEFAULT). */
uint8_t vtap_ovs_default_dscp(void);

/* stream_ssl_set_key_and_cert() and stream_ssl_set_ca_cert_file(): process-wide in
 * libopenvswitch. Empty strings are skipped. Not thread-safe (the caller locks). */
void vtap_ovs_set_ssl(const char *private_key, const char *certificate, const char *ca_certificate);

#ifdef __cplusplus
}
#endif

#endif
