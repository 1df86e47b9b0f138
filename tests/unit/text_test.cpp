// The parsers of OVN's text (addresses, words) the controller runs on every
// local port: what they take and what they refuse.
#include <gtest/gtest.h>

#include "iovisor/net.h"
#include "iovisor/text.h"

namespace iovisor {
namespace {

TEST(ParseMac, TakesOneOrTwoHexDigitsAGroupInEitherCase) {
    EXPECT_EQ(*parseMac("02:00:0a:FF:10:01"), (Mac{0x02, 0x00, 0x0a, 0xff, 0x10, 0x01}));
    EXPECT_EQ(*parseMac("2:0:a:f:10:1"), (Mac{0x02, 0x00, 0x0a, 0x0f, 0x10, 0x01}));
}

TEST(ParseMac, RefusesAnythingElse) {
    for (const char *bad : {"", "02:00:00:00:00", "02:00:00:00:00:01:", "02:00:00:00:00:01x", "02:00:00:00:00:001",
                            "02:00:00:00::01", "g2:00:00:00:00:01", " 02:00:00:00:00:01", "02-00-00-00-00-01",
                            "0x2:00:00:00:00:01"}) {
        auto mac = parseMac(bad);
        ASSERT_FALSE(mac.ok()) << "'" << bad << "' taken";
        EXPECT_NE(mac.error().message.find("is not a MAC address"), std::string::npos) << mac.error().message;
    }
}

TEST(Split, DropsEmptyPieces) {
    EXPECT_EQ(split("02:00:00:00:00:01 10.0.0.2  fd00::2 ", ' '),
              (std::vector<std::string>{"02:00:00:00:00:01", "10.0.0.2", "fd00::2"}));
    EXPECT_EQ(split("", ' '), std::vector<std::string>{});
    EXPECT_EQ(split("   ", ' '), std::vector<std::string>{});
    EXPECT_EQ(split("a,b", ','), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace iovisor
