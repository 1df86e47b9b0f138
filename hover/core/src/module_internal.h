// What hover core's own files share and its users need not see.
#pragma once

#include <cstdint>

namespace hover {

// A generation never seen before (the datapath only adds small increments
// to the last one).
uint64_t freshGeneration();

}  // namespace hover
