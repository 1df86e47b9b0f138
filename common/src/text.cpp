#include "iovisor/text.h"

#include <fstream>
#include <sstream>

namespace iovisor {

std::vector<std::string> split(const std::string &text, char sep) {
    std::vector<std::string> out;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find(sep, start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

Result<std::string> readToken(const std::string &file) {
    std::ifstream in(file);
    std::string token;
    if (!(in >> token)) return makeError(Errc::kInvalid, "cannot read a token from " + file);
    return token;
}

}  // namespace iovisor
