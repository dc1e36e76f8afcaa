#include "kube/watch_decoder.h"

#include <gtest/gtest.h>

#include "kube/kube_error.h"

namespace tenantshift::kube {
namespace {

const std::string kAdded =
    R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"}}})";
const std::string kModified =
    R"({"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"6"}}})";
const std::string kBookmark =
    R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"42","annotations":{"k8s.io/initial-events-end":"true"}}}})";
const std::string kGone =
    R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (1234)","reason":"Expired","code":410}})json";

TEST(WatchDecoder, OneEventPerChunk) {
  WatchDecoder decoder;
  auto events = decoder.feed(kAdded + "\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, WatchEventType::Added);
  EXPECT_EQ(events[0].object["metadata"]["resourceVersion"], "5");
  EXPECT_EQ(decoder.buffered(), 0U);
}

TEST(WatchDecoder, EventSplitAcrossChunksAtEveryByte) {
  const std::string stream = kAdded + "\n" + kModified + "\n";
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    WatchDecoder decoder;
    auto first = decoder.feed(std::string_view(stream).substr(0, cut));
    auto second = decoder.feed(std::string_view(stream).substr(cut));
    first.insert(first.end(), second.begin(), second.end());
    ASSERT_EQ(first.size(), 2U) << "cut at " << cut;
    EXPECT_EQ(first[0].type, WatchEventType::Added);
    EXPECT_EQ(first[1].type, WatchEventType::Modified);
    EXPECT_EQ(first[1].object["metadata"]["resourceVersion"], "6");
  }
}

TEST(WatchDecoder, ByteByByte) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  for (const char c : kAdded + "\n" + kBookmark + "\n") {
    auto some = decoder.feed(std::string_view(&c, 1));
    events.insert(events.end(), some.begin(), some.end());
  }
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].type, WatchEventType::Bookmark);
  EXPECT_EQ(events[1].object["metadata"]["resourceVersion"], "42");
}

TEST(WatchDecoder, SeveralEventsInOneChunkAndAPartialOneKept) {
  WatchDecoder decoder;
  const std::string chunk = kAdded + "\n" + kModified + "\n" + kBookmark.substr(0, 20);
  auto events = decoder.feed(chunk);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(decoder.buffered(), 20U);
  events = decoder.feed(kBookmark.substr(20) + "\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, WatchEventType::Bookmark);
}

TEST(WatchDecoder, BlankLinesAndCarriageReturnsAreSkipped) {
  WatchDecoder decoder;
  auto events = decoder.feed("\n\r\n" + kAdded + "\r\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, WatchEventType::Added);
}

TEST(WatchDecoder, ErrorEventCarriesTheStatusAsAGoneKubeError) {
  WatchDecoder decoder;
  auto events = decoder.feed(kGone + "\n");
  ASSERT_EQ(events.size(), 1U);
  ASSERT_EQ(events[0].type, WatchEventType::Error);
  const KubeError error = errorFromStatus("GET", "/api/v1/configmaps?watch=true", events[0].object);
  EXPECT_TRUE(error.isGone());
  EXPECT_EQ(error.code(), 410);
  EXPECT_EQ(error.reason(), "Expired");
  EXPECT_EQ(error.serverMessage(), "too old resource version: 1 (1234)");
}

TEST(WatchDecoder, DeletedEventDecoded) {
  WatchDecoder decoder;
  auto events = decoder.feed(R"({"type":"DELETED","object":{"metadata":{"name":"x"}}})"
                             "\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, WatchEventType::Deleted);
  EXPECT_EQ(toString(events[0].type), "DELETED");
}

TEST(WatchDecoder, FinishReturnsALastEventWithoutNewline) {
  WatchDecoder decoder;
  EXPECT_TRUE(decoder.feed(kAdded).empty());
  auto events = decoder.finish();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, WatchEventType::Added);
}

TEST(WatchDecoder, FinishInsideAnEventIsAnError) {
  WatchDecoder decoder;
  decoder.feed(kAdded.substr(0, 30));
  try {
    decoder.finish();
    FAIL() << "no error";
  } catch (const WatchStreamError& error) {
    EXPECT_NE(std::string(error.what()).find("ended inside an event (30 bytes"), std::string::npos)
        << error.what();
  }
}

TEST(WatchDecoder, FinishAfterCompleteEventsIsQuiet) {
  WatchDecoder decoder;
  decoder.feed(kAdded + "\n");
  EXPECT_TRUE(decoder.finish().empty());
}

TEST(WatchDecoder, MalformedEventsAreErrorsThatSayWhat) {
  auto message = [](const std::string& line) {
    WatchDecoder decoder;
    try {
      decoder.feed(line + "\n");
    } catch (const WatchStreamError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{not json").find("not valid JSON: {not json"), std::string::npos);
  EXPECT_NE(message("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message(R"({"object":{}})").find("has no type"), std::string::npos);
  EXPECT_NE(message(R"({"type":"ADDED"})").find("ADDED event has no object"), std::string::npos);
  EXPECT_NE(message(R"({"type":"CHANGED","object":{}})").find("unknown event type \"CHANGED\""),
            std::string::npos);
}

}  // namespace
}  // namespace tenantshift::kube
