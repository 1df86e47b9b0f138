// Small text helpers for the strings OVN keeps in its columns.
#pragma once

#include <string>
#include <vector>

#include "iovisor/result.h"

namespace iovisor {

// The non-empty pieces of `text` between `sep`s (as strtok(3) cuts them).
std::vector<std::string> split(const std::string &text, char sep);

// The first word of a token file (hoverd --token-file and its clients).
Result<std::string> readToken(const std::string &file);

}  // namespace iovisor
