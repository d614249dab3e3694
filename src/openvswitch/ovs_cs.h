/* A client of one (possibly clustered) OVSDB database through libopenvswitch's ovsdb-cs
 * (lib/ovsdb-cs.h, C only): the code ovsdb-idl and ovn-controller use to follow a Raft
 * cluster's leader across a remotes list, monitor every table of a schema and send
 * transactions. Data crosses to C++ as JSON text. One thread runs a client. */
#ifndef VTAP_SRC_OVS_OVS_CS_H
#define VTAP_SRC_OVS_OVS_CS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vtap_ovs_cs;

/* What vtap_ovs_cs_run() reports. Strings are valid during the call only. */
struct vtap_ovs_cs_handlers {
    /* The schema (JSON text) of the database, once per connection, before its updates. */
    void (*schema)(void *context, const char *schema);
    /* A <table-updates> (version 1) or <table-updates2> (2, 3); `clear`: forget the replica
     * first (a new connection's initial contents). */
    void (*update)(void *context, bool clear, const char *updates, int version);
    /* The reply to the transaction with request id `id` (JSON text): its result array, or
     * its error (`result` NULL). */
    void (*reply)(void *context, const char *id, const char *result, const char *error);
    /* The connection was lost: transactions sent and not answered may or may not commit. */
    void (*reconnect)(void *context);
};

/* Monitors every table of `database` at `remotes` (comma-separated OVSDB remotes, e.g.
 * "tcp:10.0.0.1:6641,tcp:10.0.0.2:6641"), connected only to a cluster's leader. */
struct vtap_ovs_cs *vtap_ovs_cs_open(const char *database, const char *remotes);
void vtap_ovs_cs_close(struct vtap_ovs_cs *);

void vtap_ovs_cs_run(struct vtap_ovs_cs *, const struct vtap_ovs_cs_handlers *, void *context);
/* Waits (poll_block) until the client has something to do, vtap_ovs_cs_wake() is called,
 * or `timeout_ms` pass. */
void vtap_ovs_cs_block(struct vtap_ovs_cs *, long long timeout_ms);
/* Makes vtap_ovs_cs_block() return; callable from any thread. */
void vtap_ovs_cs_wake(struct vtap_ovs_cs *);

bool vtap_ovs_cs_may_send(const struct vtap_ovs_cs *);
/* Sends a transaction: `operations` is the JSON text of the params array (the database's
 * name, then the operations). Returns the request id as JSON text (free() it), or NULL when
 * nothing can be sent now or `operations` is not JSON. */
char *vtap_ovs_cs_send(struct vtap_ovs_cs *, const char *operations);

#ifdef __cplusplus
}
#endif

#endif
