/* Configuration generation, for modules that cache lookups derived from
 * their tables (the router's FIB cache). hoverd (hover::Module::
 * configChanged) writes a fresh value after every table write; the module
 * bumps it itself when the datapath changes a table a cached result depends
 * on (a learned neighbour's new MAC). A cached entry records the generation
 * it was made under and is trusted only while that is still current. */
#ifndef IOVISOR_BPF_CONFIG_GEN_H
#define IOVISOR_BPF_CONFIG_GEN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/flow.h"

/* Slot 0: the current generation. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} iov_config_gen SEC(".maps");

static __always_inline __u64 iov_config_generation(void) { return iov_generation_of(&iov_config_gen); }

static __always_inline void iov_config_changed(void) {
    iov_generation_bump(&iov_config_gen);
    iov_flow_invalidate(); /* the flow cache holds results derived from them too */
}

#endif /* IOVISOR_BPF_CONFIG_GEN_H */
