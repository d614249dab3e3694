/* See ovs_cs.h. OVS convention: config.h comes first. */
#include <config.h>

#include "ovs_cs.h"

#include <stdlib.h>

#include "jsonrpc.h"
#include "latch.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/util.h"
#include "ovsdb-cs.h"

struct vtap_ovs_cs {
    struct ovsdb_cs *cs;
    struct latch wake;
    char *schema;        /* JSON text of the schema last composed for, until reported. */
};

/* Every column of every table of the schema. */
static struct json *compose_monitor_requests(const struct json *schema, void *aux)
{
    struct vtap_ovs_cs *client = aux;
    free(client->schema);
    client->schema = json_to_string(schema, 0);

    struct json *requests = json_object_create();
    const struct json *tables = shash_find_data(json_object(schema), "tables");
    if (!tables || tables->type != JSON_OBJECT) {
        return requests;
    }
    struct shash_node *table;
    SHASH_FOR_EACH (table, json_object(tables)) {
        const struct json *columns = shash_find_data(json_object(table->data), "columns");
        struct json *names = json_array_create_empty();
        if (columns && columns->type == JSON_OBJECT) {
            struct shash_node *column;
            SHASH_FOR_EACH (column, json_object(columns)) {
                json_array_add(names, json_string_create(column->name));
            }
        }
        struct json *request = json_object_create();
        json_object_put(request, "columns", names);
        json_object_put(requests, table->name, json_array_create_1(request));
    }
    return requests;
}

static const struct ovsdb_cs_ops ops = {compose_monitor_requests};

struct vtap_ovs_cs *vtap_ovs_cs_open(const char *database, const char *remotes)
{
    struct vtap_ovs_cs *client = xzalloc(sizeof *client);
    latch_init(&client->wake);
    client->cs = ovsdb_cs_create(database, 3, &ops, client);
    ovsdb_cs_set_leader_only(client->cs, true);
    ovsdb_cs_set_remote(client->cs, remotes, true);
    return client;
}

void vtap_ovs_cs_close(struct vtap_ovs_cs *client)
{
    if (client) {
        ovsdb_cs_destroy(client->cs);
        latch_destroy(&client->wake);
        free(client->schema);
        free(client);
    }
}

void vtap_ovs_cs_run(struct vtap_ovs_cs *client, const struct vtap_ovs_cs_handlers *handlers, void *context)
{
    struct ovs_list events;
    latch_poll(&client->wake);
    ovsdb_cs_run(client->cs, &events);
    struct ovsdb_cs_event *event;
    LIST_FOR_EACH_POP (event, list_node, &events) {
        switch (event->type) {
        case OVSDB_CS_EVENT_TYPE_RECONNECT:
            handlers->reconnect(context);
            break;
        case OVSDB_CS_EVENT_TYPE_LOCKED:
            break;
        case OVSDB_CS_EVENT_TYPE_UPDATE: {
            if (client->schema) {
                handlers->schema(context, client->schema);
                free(client->schema);
                client->schema = NULL;
            }
            char *updates = json_to_string(event->update.table_updates, 0);
            handlers->update(context, event->update.clear, updates, event->update.version);
            free(updates);
            break;
        }
        case OVSDB_CS_EVENT_TYPE_TXN_REPLY: {
            const struct jsonrpc_msg *msg = event->txn_reply;
            char *id = json_to_string(msg->id, 0);
            if (msg->type == JSONRPC_ERROR) {
                char *error = json_to_string(msg->error, 0);
                handlers->reply(context, id, NULL, error);
                free(error);
            } else {
                char *result = json_to_string(msg->result, 0);
                handlers->reply(context, id, result, NULL);
                free(result);
            }
            free(id);
            break;
        }
        }
        ovsdb_cs_event_destroy(event);
    }
}

void vtap_ovs_cs_block(struct vtap_ovs_cs *client, long long timeout_ms)
{
    ovsdb_cs_wait(client->cs);
    latch_wait(&client->wake);
    poll_timer_wait(timeout_ms);
    poll_block();
}

void vtap_ovs_cs_wake(struct vtap_ovs_cs *client)
{
    latch_set(&client->wake);
}

bool vtap_ovs_cs_may_send(const struct vtap_ovs_cs *client)
{
    return ovsdb_cs_may_send_transaction(client->cs);
}

char *vtap_ovs_cs_send(struct vtap_ovs_cs *client, const char *operations)
{
    if (!ovsdb_cs_may_send_transaction(client->cs)) {
        return NULL;
    }
    struct json *params = json_from_string(operations);
    if (params->type == JSON_STRING) { /* json_from_string's way of reporting an error */
        json_destroy(params);
        return NULL;
    }
    struct json *id = ovsdb_cs_send_transaction(client->cs, params);
    if (!id) {
        return NULL;
    }
    char *text = json_to_string(id, 0);
    json_destroy(id);
    return text;
}
