/* See ovs_db.h. OVS convention: config.h comes first. */
#include <config.h>

#include "ovs_db.h"

#include <stdlib.h>

#include "openvswitch/poll-loop.h"
#include "openvswitch/util.h"
#include "ovsdb-idl.h"
#include "smap.h"
#include "timeval.h"
#include "vswitch-idl.h"

struct vtap_ovs_db {
    struct ovsdb_idl *idl;
};

struct vtap_ovs_db *vtap_ovs_db_open(const char *remote)
{
    struct vtap_ovs_db *db = xmalloc(sizeof *db);
    db->idl = ovsdb_idl_create(remote, &ovsrec_idl_class, true, true);
    return db;
}

void vtap_ovs_db_close(struct vtap_ovs_db *db)
{
    if (db) {
        ovsdb_idl_destroy(db->idl);
        free(db);
    }
}

bool vtap_ovs_db_sync(struct vtap_ovs_db *db, long long timeout_ms)
{
    long long deadline = time_msec() + timeout_ms;
    for (;;) {
        ovsdb_idl_run(db->idl);
        if (ovsdb_idl_has_ever_connected(db->idl)) {
            return true;
        }
        if (time_msec() >= deadline) {
            return false;
        }
        ovsdb_idl_wait(db->idl);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

unsigned int vtap_ovs_db_run(struct vtap_ovs_db *db)
{
    ovsdb_idl_run(db->idl);
    return ovsdb_idl_get_seqno(db->idl);
}

void vtap_ovs_db_wait(struct vtap_ovs_db *db)
{
    ovsdb_idl_wait(db->idl);
}

void vtap_ovs_block(long long timeout_ms)
{
    poll_timer_wait(timeout_ms);
    poll_block();
}

int vtap_ovs_db_last_error(const struct vtap_ovs_db *db)
{
    return ovsdb_idl_get_last_error(db->idl);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

void vtap_ovs_db_for_each_iface(struct vtap_ovs_db *db, vtap_ovs_iface_fn *fn, void *context)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_FOR_EACH (br, db->idl) {
        struct vtap_ovs_iface rec = {
            .bridge = br->name,
            .datapath_id = or_empty(br->datapath_id),
            .bridge_dpid_config = or_empty(smap_get(&br->other_config, "datapath-id")),
            .name = "", .type = "", .ofport = -1,
            .attached_mac = "", .iface_id = "", .vm_uuid = "", .ip = "", .tenant = "",
            .peer = "", .remote_ip = "", .local_ip = "",
        };
        size_t n = 0;
        for (size_t i = 0; i < br->n_ports; i++) {
            const struct ovsrec_port *port = br->ports[i];
            for (size_t j = 0; j < port->n_interfaces; j++) {
                const struct ovsrec_interface *iface = port->interfaces[j];
                rec.name = iface->name;
                rec.type = or_empty(iface->type);
                rec.ofport = iface->n_ofport ? iface->ofport[0] : -1;
                rec.attached_mac = or_empty(smap_get(&iface->external_ids, "attached-mac"));
                rec.iface_id = or_empty(smap_get(&iface->external_ids, "iface-id"));
                rec.vm_uuid = or_empty(smap_get(&iface->external_ids, "vm-uuid"));
                rec.ip = or_empty(smap_get(&iface->external_ids, "ip"));
                rec.tenant = or_empty(smap_get(&iface->external_ids, "tenant"));
                rec.peer = or_empty(smap_get(&iface->options, "peer"));
                rec.remote_ip = or_empty(smap_get(&iface->options, "remote_ip"));
                rec.local_ip = or_empty(smap_get(&iface->options, "local_ip"));
                fn(context, &rec);
                n++;
            }
        }
        if (!n) {
            fn(context, &rec);
        }
    }
}

const char *vtap_ovs_db_system_id(struct vtap_ovs_db *db, const char *key)
{
    const struct ovsrec_open_vswitch *ovs = ovsrec_open_vswitch_first(db->idl);
    return ovs ? or_empty(smap_get(&ovs->external_ids, key)) : "";
}
