#include "kube/kube_error.h"

#include <gtest/gtest.h>

namespace tenantshift::kube {
namespace {

std::string status(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", {}},
                        {"status", "Failure"}, {"message", message}, {"reason", reason},
                        {"code", code}}
      .dump();
}

TEST(KubeError, FromStatusBodyCarriesCodeReasonMessageVerbAndPath) {
  const KubeError error = errorFromResponse(
      "PUT", "/api/v1/namespaces/team/configmaps/settings", 409,
      status(409, "Conflict",
             "Operation cannot be fulfilled on configmaps \"settings\": the object has been "
             "modified; please apply your changes to the latest version and try again"));
  EXPECT_EQ(error.code(), 409);
  EXPECT_EQ(error.reason(), "Conflict");
  EXPECT_EQ(error.verb(), "PUT");
  EXPECT_EQ(error.path(), "/api/v1/namespaces/team/configmaps/settings");
  EXPECT_TRUE(error.isConflict());
  EXPECT_FALSE(error.isAlreadyExists());
  EXPECT_FALSE(error.isRetryable());
  EXPECT_EQ(error.status()["code"], 409);
  EXPECT_EQ(std::string(error.what()),
            "PUT /api/v1/namespaces/team/configmaps/settings: 409 Conflict: Operation cannot be "
            "fulfilled on configmaps \"settings\": the object has been modified; please apply "
            "your changes to the latest version and try again (the object changed since it was "
            "read (or a precondition failed): read it again and reapply the change)");
}

TEST(KubeError, KindsAreDistinguishableByCodeAndReason) {
  const auto from = [](int code, const std::string& reason) {
    return errorFromResponse("GET", "/p", code, status(code, reason, "m"));
  };
  EXPECT_TRUE(from(404, "NotFound").isNotFound());
  EXPECT_TRUE(from(409, "AlreadyExists").isAlreadyExists());
  EXPECT_TRUE(from(409, "AlreadyExists").isConflict());
  EXPECT_TRUE(from(410, "Expired").isGone());
  EXPECT_TRUE(from(401, "Unauthorized").isUnauthorized());
  EXPECT_TRUE(from(403, "Forbidden").isForbidden());
  EXPECT_TRUE(from(422, "Invalid").isInvalid());
  EXPECT_TRUE(from(429, "TooManyRequests").isRetryable());
  EXPECT_TRUE(from(503, "ServiceUnavailable").isRetryable());
  EXPECT_TRUE(from(504, "Timeout").isRetryable());
  EXPECT_FALSE(from(403, "Forbidden").isRetryable());
  EXPECT_FALSE(from(404, "NotFound").isForbidden());
}

TEST(KubeError, MessagesSayWhatToDo) {
  const std::string forbidden =
      errorFromResponse("GET", "/api/v1/namespaces/team/secrets", 403,
                        status(403, "Forbidden",
                               "secrets is forbidden: User \"system:serviceaccount:team:reader\" "
                               "cannot list resource \"secrets\" in API group \"\" in the "
                               "namespace \"team\""))
          .what();
  EXPECT_NE(forbidden.find("GET /api/v1/namespaces/team/secrets: 403 Forbidden: secrets is "
                           "forbidden: User \"system:serviceaccount:team:reader\""),
            std::string::npos)
      << forbidden;
  EXPECT_NE(forbidden.find("grant the verb on the resource in a Role or ClusterRole"),
            std::string::npos);

  const std::string applyConflict =
      errorFromResponse("PATCH", "/p", 409,
                        status(409, "Conflict",
                               "Apply failed with 1 conflict: conflict with \"other\": .data.key"))
          .what();
  EXPECT_NE(applyConflict.find("apply with force to take them over"), std::string::npos);

  const std::string gone =
      errorFromResponse("GET", "/p", 410, status(410, "Expired", "old")).what();
  EXPECT_NE(gone.find("list again"), std::string::npos);
  const std::string unauthorized =
      errorFromResponse("GET", "/p", 401, status(401, "Unauthorized", "Unauthorized")).what();
  EXPECT_NE(unauthorized.find("check the token"), std::string::npos);
}

TEST(KubeError, BodyThatIsNotAStatusKeepsTheCodeAndAnExcerpt) {
  const KubeError error =
      errorFromResponse("GET", "/api/v1/pods", 502, "  <html>Bad gateway</html>\n");
  EXPECT_EQ(error.code(), 502);
  EXPECT_EQ(error.reason(), "InternalError");
  EXPECT_EQ(error.serverMessage(), "<html>Bad gateway</html>");
  EXPECT_TRUE(error.isRetryable());
  EXPECT_TRUE(error.status().is_null());

  const KubeError empty = errorFromResponse("GET", "/p", 404, "");
  EXPECT_EQ(empty.reason(), "NotFound");
  EXPECT_EQ(empty.serverMessage(), "");

  const KubeError longBody = errorFromResponse("GET", "/p", 500, std::string(5000, 'x'));
  EXPECT_EQ(longBody.serverMessage().size(), 303U);
}

TEST(KubeError, StatusWithoutReasonGetsTheCodesReason) {
  const KubeError error = errorFromResponse(
      "POST", "/p", 422, nlohmann::json{{"kind", "Status"}, {"message", "bad"}}.dump());
  EXPECT_EQ(error.reason(), "Invalid");
  EXPECT_EQ(error.serverMessage(), "bad");
}

TEST(KubeError, WatchErrorEventStatus) {
  const KubeError error = errorFromStatus(
      "GET", "/api/v1/configmaps?watch=true",
      {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}, {"message", "too old"}});
  EXPECT_TRUE(error.isGone());
  EXPECT_EQ(error.path(), "/api/v1/configmaps?watch=true");
  const KubeError noCode = errorFromStatus("GET", "/p", {{"kind", "Status"}, {"message", "x"}});
  EXPECT_EQ(noCode.code(), 500);
  EXPECT_EQ(errorFromStatus("GET", "/p", nlohmann::json(42)).code(), 500);
}

TEST(KubeConnectionError, NamesTheServerAndTheRequest) {
  const KubeConnectionError error("GET", "/api/v1/pods", "https://10.0.0.1:443",
                                  "Failed to connect to any resolved endpoint");
  const std::string text = error.what();
  EXPECT_NE(text.find("GET /api/v1/pods: cannot reach the Kubernetes API server at "
                      "https://10.0.0.1:443: Failed to connect to any resolved endpoint"),
            std::string::npos)
      << text;
  EXPECT_EQ(error.server(), "https://10.0.0.1:443");
}

}  // namespace
}  // namespace tenantshift::kube
