/* A read-only view of one Open_vSwitch database through the OVSDB IDL (lib/ovsdb-idl.h,
 * lib/vswitch-idl.h: C only), as plain C records that C++ copies. */
#ifndef VTAP_SRC_OVS_OVS_DB_H
#define VTAP_SRC_OVS_OVS_DB_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vtap_ovs_db;

/* Connects an IDL replica of every table of the Open_vSwitch database at `remote`
 * (e.g. "unix:/run/openvswitch/db.sock"). Never NULL; it retries until destroyed. */
struct vtap_ovs_db *vtap_ovs_db_open(const char *remote);
void vtap_ovs_db_close(struct vtap_ovs_db *);

/* Processes what the server sent and waits (at most `timeout_ms`, 0: not at all) until
 * the replica holds the database's contents. Returns true once it does. */
bool vtap_ovs_db_sync(struct vtap_ovs_db *, long long timeout_ms);
/* Processes what the server sent without waiting; the sequence number changes whenever
 * the replica does. */
unsigned int vtap_ovs_db_run(struct vtap_ovs_db *);
/* Arranges for vtap_ovs_block() to wake when the database has something to process. */
void vtap_ovs_db_wait(struct vtap_ovs_db *);
/* Waits until something arranged by vtap_ovs_db_wait() happens or `timeout_ms` pass. */
void vtap_ovs_block(long long timeout_ms);
/* The last connection error (an errno value, 0 for none). */
int vtap_ovs_db_last_error(const struct vtap_ovs_db *);

/* One interface of one bridge. Strings are never NULL ("" when absent) and stay valid
 * until the next call of vtap_ovs_db_sync or vtap_ovs_db_run. */
struct vtap_ovs_iface {
    const char *bridge;        /* Bridge.name */
    const char *datapath_id;   /* Bridge.datapath_id (16 hex digits, set by vswitchd) */
    const char *bridge_dpid_config; /* Bridge other_config:datapath-id */
    const char *name;          /* Interface.name */
    const char *type;          /* Interface.type ("" = system, "patch", "vxlan", ...) */
    int64_t ofport;            /* Interface.ofport, -1 when not (yet) assigned */
    const char *attached_mac;  /* external_ids:attached-mac (OpenStack/OVN: the VM's MAC) */
    const char *iface_id;      /* external_ids:iface-id (Neutron port / OVN logical port) */
    const char *vm_uuid;       /* external_ids:vm-uuid (Nova instance) */
    const char *ip;            /* external_ids:ip (not standard: the VM's address if known) */
    const char *tenant;        /* external_ids:tenant (not standard) */
    const char *peer;          /* options:peer (patch ports) */
    const char *remote_ip;     /* options:remote_ip (tunnels) */
    const char *local_ip;      /* options:local_ip (tunnels) */
};
typedef void vtap_ovs_iface_fn(void *context, const struct vtap_ovs_iface *);
/* Calls `fn` for every interface of every bridge (bridges without interfaces too, once,
 * with name ""). */
void vtap_ovs_db_for_each_iface(struct vtap_ovs_db *, vtap_ovs_iface_fn *fn, void *context);

/* Open_vSwitch external_ids:`key` of the database's root row ("" when absent). */
const char *vtap_ovs_db_system_id(struct vtap_ovs_db *, const char *key);

#ifdef __cplusplus
}
#endif

#endif
