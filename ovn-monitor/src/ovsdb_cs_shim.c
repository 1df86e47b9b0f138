#include "ovsdb_cs_shim.h"

#include <config.h>
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "util.h"
#include "ovsdb-cs.h"
#include "ovsdb-error.h"

struct iov_cs {
    struct ovsdb_cs *cs;
    const char *table;
    const char *const *columns;
    int n_columns;
};

/* {"<table>": {"columns": [...]}}: ovsdb-cs adds the conditions. */
static struct json *compose(const struct json *schema, void *aux) {
    (void) schema;
    const struct iov_cs *m = aux;
    struct json *columns = json_array_create_empty();
    for (int i = 0; i < m->n_columns; i++) json_array_add(columns, json_string_create(m->columns[i]));
    struct json *request = json_object_create();
    json_object_put(request, "columns", columns);
    struct json *tables = json_object_create();
    json_object_put(tables, m->table, request);
    return tables;
}

static const struct ovsdb_cs_ops ops = {compose};

struct iov_cs *iov_cs_open(const char *database, const char *table, const char *const *columns, int n_columns,
                           const char *remote) {
    struct iov_cs *m = xmalloc(sizeof *m);
    *m = (struct iov_cs) {NULL, table, columns, n_columns};
    m->cs = ovsdb_cs_create(database, 3, &ops, m);
    ovsdb_cs_set_remote(m->cs, remote, true);
    return m;
}

void iov_cs_close(struct iov_cs *m) {
    if (!m) return;
    ovsdb_cs_destroy(m->cs);
    free(m);
}

void iov_cs_wait(struct iov_cs *m) { ovsdb_cs_wait(m->cs); }

/* A malformed update is flagged: ovsdb-cs then resyncs from scratch. */
static void apply(struct iov_cs *m, const struct ovsdb_cs_update_event *u, const struct iov_cs_handler *h) {
    struct ovsdb_cs_db_update *db = NULL;
    struct ovsdb_error *error = ovsdb_cs_parse_db_update(u->table_updates, u->version, &db);
    if (error) {
        ovsdb_error_destroy(error);
        ovsdb_cs_flag_inconsistency(m->cs);
        return;
    }
    if (u->clear) h->cleared(h->aux);
    const struct ovsdb_cs_table_update *t = ovsdb_cs_db_update_find_table(db, m->table);
    for (size_t i = 0; t && i < t->n; i++) {
        const struct ovsdb_cs_row_update *r = &t->row_updates[i];
        enum iov_cs_row_change change = r->type == OVSDB_CS_ROW_DELETE ? IOV_CS_ROW_DELETE
                                        : r->type == OVSDB_CS_ROW_XOR  ? IOV_CS_ROW_DIFF
                                                                       : IOV_CS_ROW_REPLACE;
        h->row(h->aux, &r->row_uuid, change, r->columns);
    }
    ovsdb_cs_db_update_destroy(db);
    if (u->monitor_reply) h->synced(h->aux);
}

void iov_cs_run(struct iov_cs *m, const struct iov_cs_handler *h) {
    struct ovs_list events;
    ovsdb_cs_run(m->cs, &events);
    struct ovsdb_cs_event *event;
    LIST_FOR_EACH_POP (event, list_node, &events) {
        if (event->type == OVSDB_CS_EVENT_TYPE_RECONNECT) h->reconnected(h->aux);
        else if (event->type == OVSDB_CS_EVENT_TYPE_UPDATE) apply(m, &event->update, h);
        ovsdb_cs_event_destroy(event);
    }
}
