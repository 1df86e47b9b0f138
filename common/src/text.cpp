#include "iovisor/text.h"

#include <sstream>

namespace iovisor {

std::vector<std::string> split(const std::string &text, char sep) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string piece; std::getline(in, piece, sep);)
        if (!piece.empty()) out.push_back(piece);
    return out;
}

}  // namespace iovisor
