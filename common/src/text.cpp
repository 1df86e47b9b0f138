#include "iovisor/text.h"

#include <fstream>
#include <sstream>

namespace iovisor {

std::vector<std::string> split(const std::string &text, char sep) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string piece; std::getline(in, piece, sep);)
        if (!piece.empty()) out.push_back(piece);
    return out;
}

Result<std::string> readToken(const std::string &file) {
    std::ifstream in(file);
    std::string token;
    if (!(in >> token)) return makeError(Errc::kInvalid, "cannot read a token from " + file);
    return token;
}

}  // namespace iovisor
