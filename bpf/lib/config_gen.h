/* Configuration generation, for modules that cache lookups derived from
 * their tables (the router's FIB cache). hoverd (hover::Module::
 * configChanged) writes a fresh value in the module's slot after every table write; the module
 * bumps it itself when the datapath changes a table a cached result depends
 * on (a learned neighbour's new MAC). A cached entry records the generation
 * it was made under and is trusted only while that is still current. */
#ifndef IOVISOR_BPF_CONFIG_GEN_H
#define IOVISOR_BPF_CONFIG_GEN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/flow.h"

/* Module id -> the current generation of that instance (shared by the
 * instances of the hook that have one). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __uint(max_entries, IOV_MAX_MODULES);
    __type(key, __u32);
    __type(value, __u64);
} iov_config_gen SEC(".maps");

static __always_inline __u64 iov_config_generation(__u32 module) { return iov_generation_of(&iov_config_gen, module); }

static __always_inline void iov_config_changed(__u32 module) {
    iov_generation_bump(&iov_config_gen, module);
    iov_flow_invalidate(); /* the flow cache holds results derived from them too */
}

#endif /* IOVISOR_BPF_CONFIG_GEN_H */
