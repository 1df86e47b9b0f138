#include <cerrno>

#include <gtest/gtest.h>

#include "iovisor/result.h"

namespace iovisor {
namespace {

Result<int> half(int n) {
    if (n % 2) return makeError(Errc::kInvalid, std::to_string(n) + " is odd");
    return n / 2;
}

TEST(Result, CarriesValueOrError) {
    auto good = half(8);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 4);

    auto bad = half(3);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::kInvalid);
    EXPECT_EQ(bad.error().message, "3 is odd");
}

TEST(Result, ContextPrefixesTheMessage) {
    Error e = makeError(Errc::kNotFound, "no such map");
    e.context("module sw1").context("GET tables");
    EXPECT_EQ(e.message, "GET tables: module sw1: no such map");
}

TEST(Result, ErrnoMapsToCategories) {
    EXPECT_EQ(errnoError(-ENOENT, "x").code, Errc::kNotFound);
    EXPECT_EQ(errnoError(EEXIST, "x").code, Errc::kConflict);
    EXPECT_EQ(errnoError(-EACCES, "load").code, Errc::kRejected);
    EXPECT_EQ(errnoError(-ENOMEM, "x").code, Errc::kInternal);
    EXPECT_NE(errnoError(-EINVAL, "open map").message.find("open map: "), std::string::npos);
}

}  // namespace
}  // namespace iovisor
