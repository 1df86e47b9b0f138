// The part of OVS's lib/ovsdb-cs.h (a raw monitor of one table's columns)
// that BridgePorts uses, in C: that header does not compile as C++ (a struct
// defined inside an anonymous union).
#pragma once

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shash;
struct uuid;
struct iov_cs;

// Monitors `columns` of `table` in `database` at `remote`, reconnecting.
// `columns` must outlive the monitor.
struct iov_cs *iov_cs_open(const char *database, const char *table, const char *const *columns, int n_columns,
                           const char *remote);
void iov_cs_close(struct iov_cs *cs);
void iov_cs_wait(struct iov_cs *cs);

enum iov_cs_row_change {
    IOV_CS_ROW_DELETE,
    IOV_CS_ROW_REPLACE,  // `columns` hold the new values
    IOV_CS_ROW_DIFF,     // `columns` hold <table-updates2> diffs (sets: elements to toggle)
};

// What one run delivered, in order.
struct iov_cs_handler {
    void (*reconnected)(void *aux);
    void (*cleared)(void *aux);  // forget every row: a full copy follows
    void (*row)(void *aux, const struct uuid *uuid, enum iov_cs_row_change change, const struct shash *columns);
    void (*synced)(void *aux);  // the initial contents are in
    void *aux;
};
void iov_cs_run(struct iov_cs *cs, const struct iov_cs_handler *handler);

#ifdef __cplusplus
}
#endif
