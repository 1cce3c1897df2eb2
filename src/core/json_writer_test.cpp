#include "core/json_writer.hpp"

#include <limits>

#include <boost/json/parse.hpp>
#include <cmath>

#include <gtest/gtest.h>

namespace archon::json {
namespace {

TEST(JsonWriter, ShortestDoublesAndExactIntegers) {
  EXPECT_EQ(write(boost::json::value(0.349)), "0.349");
  EXPECT_EQ(write(boost::json::value(45.2)), "45.2");
  EXPECT_EQ(write(boost::json::value(0.0)), "0");
  EXPECT_EQ(write(boost::json::value(std::int64_t{-7})), "-7");
  EXPECT_EQ(write(boost::json::value(std::uint64_t{18446744073709551615ULL})), "18446744073709551615");
  EXPECT_EQ(write(boost::json::value(std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonWriter, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(write(boost::json::value("a\"b\\c\n\x01\x7f")), R"("a\"b\\c\n\u0001\u007f")");
}

TEST(JsonWriter, RoundTripsThroughTheParser) {
  const char* text = R"({"a":[1,2.5,true,null,"x"],"b":{"c":-0.001,"d":"é😀"}})";
  auto v = boost::json::parse(text);
  EXPECT_EQ(boost::json::parse(write(v)), v);
  EXPECT_EQ(write(v), text);
}

TEST(JsonWriter, PiecesAppendInTheSameFormsAsWrite) {
  std::string out = "x";
  write_string_to(out, "plain run, then \"quote\" and \ttab at the end\n");
  EXPECT_EQ(out, R"(x"plain run, then \"quote\" and \ttab at the end\n")");
  out.clear();
  write_string_to(out, "");
  EXPECT_EQ(out, R"("")");
  out.clear();
  write_number_to(out, std::int64_t{-5});
  out += ',';
  write_number_to(out, std::uint64_t{18446744073709551615u});
  out += ',';
  write_number_to(out, 0.349);
  out += ',';
  write_number_to(out, std::nan(""));
  EXPECT_EQ(out, "-5,18446744073709551615,0.349,null");
}

}  // namespace
}  // namespace archon::json
