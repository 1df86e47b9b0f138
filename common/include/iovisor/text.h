// Small text helpers for the strings OVN keeps in its columns.
#pragma once

#include <string>
#include <vector>

namespace iovisor {

// The non-empty pieces of `text` between `sep`s (as strtok(3) cuts them).
std::vector<std::string> split(const std::string &text, char sep);

}  // namespace iovisor
