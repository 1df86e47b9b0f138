// Custom IOModules injected at run time: C source compiled with clang against
// the same bpf/lib headers as the built-in modules (same chaining ABI).
#pragma once

#include <string>

#include "hover/attach.h"
#include "hover/btf_json.h"
#include "iovisor/result.h"

namespace hover {

// Compiles `source` for `mode`'s hook; a compiler error is Errc::kRejected
// with clang's diagnostics.
iovisor::Result<Bytes> compileCustomModule(const std::string &source, AttachMode mode,
                                           const std::string &include_dir);

}  // namespace hover
