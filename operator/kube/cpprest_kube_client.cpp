#include "kube/cpprest_kube_client.h"

#include <cpprest/http_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ssl/context.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "kube/kube_config_error.h"
#include "kube/kube_error.h"
#include "kube/resource_path.h"
#include "kube/tls_material.h"
#include "kube/watch_decoder.h"

namespace tenantshift::kube {

namespace {

namespace http = web::http;
using http::client::http_client;
using http::client::http_client_config;

// A watch's client waits this much longer for a read than the server's timeoutSeconds.
constexpr std::chrono::seconds kWatchReadMargin{30};
constexpr std::size_t kWatchReadBytes = std::size_t{64} * 1024;
constexpr const char* kJson = "application/json";

struct Request {
  std::string method;
  std::string path;  // path and query
  std::string contentType;
  std::optional<std::string> body;
};

std::string readBody(http::http_response& response, const Request& request,
                     const std::string& server, const std::stop_token& stop) {
  try {
    return response.extract_utf8string(true).get();
  } catch (const pplx::task_canceled&) {
    throw KubeCancelled(request.method, request.path);
  } catch (const http::http_exception& error) {
    if (stop.stop_requested()) {
      throw KubeCancelled(request.method, request.path);
    }
    throw KubeConnectionError(request.method, request.path, server,
                              std::string("reading the reply failed: ") + error.what());
  }
}

}  // namespace

struct CpprestKubeClient::Impl {
  explicit Impl(ClusterConfig clusterConfig)
      : config(std::make_shared<const ClusterConfig>(std::move(clusterConfig))) {
    try {
      baseUri = web::uri(config->server);
    } catch (const web::uri_exception& error) {
      throw KubeConfigError(config->source, "server",
                            "\"" + config->server + "\" is not a URL: " + error.what());
    }
    // Load the TLS material once now, so that a problem is reported here with its source
    // rather than as a failed handshake on the first request.
    try {
      boost::asio::ssl::context probe(boost::asio::ssl::context::sslv23);
      configureTls(probe, *config);
    } catch (const boost::system::system_error& error) {
      throw KubeConfigError(
          config->source, "TLS",
          std::string("the CA, client certificate or key was refused: ") + error.what());
    }
    client = std::make_unique<http_client>(baseUri, clientConfig(config->requestTimeout));
  }

  http_client_config clientConfig(std::chrono::seconds timeout) const {
    http_client_config result;
    result.set_timeout(timeout);
    result.set_validate_certificates(true);
    std::shared_ptr<const ClusterConfig> tls = config;
    result.set_ssl_context_callback(
        [tls](boost::asio::ssl::context& context) { configureTls(context, *tls); });
    return result;
  }

  http::http_request build(const Request& request) const {
    http::http_request message(request.method);
    message.set_request_uri(web::uri(request.path));
    message.headers().add(http::header_names::accept, kJson);
    message.headers().add(http::header_names::user_agent, config->userAgent);
    if (config->token) {
      message.headers().add(http::header_names::authorization, "Bearer " + config->token->token());
    }
    if (request.body) {
      message.set_body(*request.body, request.contentType);
    }
    return message;
  }

  // Sends the request; after a 401 re-reads the token and sends it once more.
  http::http_response send(http_client& httpClient, const Request& request,
                           const pplx::cancellation_token& cancel, const std::stop_token& stop) {
    for (int attempt = 1;; ++attempt) {
      http::http_response response;
      try {
        response = httpClient.request(build(request), cancel).get();
      } catch (const pplx::task_canceled&) {
        throw KubeCancelled(request.method, request.path);
      } catch (const http::http_exception& error) {
        if (stop.stop_requested()) {
          throw KubeCancelled(request.method, request.path);
        }
        throw KubeConnectionError(request.method, request.path, config->server, error.what());
      }
      spdlog::debug("kube request verb={} path={} status={}", request.method, request.path,
                    response.status_code());
      if (response.status_code() == http::status_codes::Unauthorized && attempt == 1 &&
          config->token && config->token->refresh()) {
        spdlog::info(
            "kube request unauthorized, retrying once with the token re-read verb={} "
            "path={} token_source=\"{}\"",
            request.method, request.path, config->token->description());
        continue;
      }
      return response;
    }
  }

  nlohmann::json call(const Request& request, const std::stop_token& stop) {
    pplx::cancellation_token_source cancel;
    std::stop_callback onStop(stop, [&cancel] { cancel.cancel(); });
    http::http_response response = send(*client, request, cancel.get_token(), stop);
    const std::string body = readBody(response, request, config->server, stop);
    const int status = response.status_code();
    if (status < 200 || status >= 300) {
      throw errorFromResponse(request.method, request.path, status, body);
    }
    if (body.empty()) {
      return nlohmann::json::object();
    }
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
      throw std::runtime_error(
          request.method + " " + request.path + ": the reply (status " + std::to_string(status) +
          ") is not JSON: " + body.substr(0, std::min<std::size_t>(body.size(), 200)));
    }
    return parsed;
  }

  WatchEnd watch(const Request& request, std::chrono::seconds serverTimeout,
                 const WatchHandler& onEvent, const std::stop_token& stop) {
    // A client of its own: cpprestsdk's timeout applies to each read, so it must outlast the
    // server's timeoutSeconds or a quiet watch would be cut by the client.
    http_client watchClient(baseUri, clientConfig(serverTimeout + kWatchReadMargin));
    pplx::cancellation_token_source cancel;
    std::stop_callback onStop(stop, [&cancel] { cancel.cancel(); });
    http::http_response response;
    try {
      response = send(watchClient, request, cancel.get_token(), stop);
    } catch (const KubeCancelled&) {
      return WatchEnd::Stopped;
    }
    if (response.status_code() != http::status_codes::OK) {
      const std::string body = readBody(response, request, config->server, stop);
      throw errorFromResponse(request.method, request.path, response.status_code(), body);
    }

    auto stream = response.body().streambuf();
    WatchDecoder decoder;
    std::vector<uint8_t> buffer(kWatchReadBytes);
    auto deliver = [&](const std::vector<WatchEvent>& events) {
      for (const WatchEvent& event : events) {
        if (event.type == WatchEventType::Error) {
          throw errorFromStatus(request.method, request.path, event.object);
        }
        onEvent(event);
      }
    };
    for (;;) {
      std::size_t received = 0;
      try {
        // What is buffered already, or wait for at least one byte (0 at the end).
        const std::size_t want = std::clamp<std::size_t>(stream.in_avail(), 1, buffer.size());
        received = stream.getn(buffer.data(), want).get();
      } catch (const std::exception& error) {
        if (stop.stop_requested()) {
          return WatchEnd::Stopped;
        }
        throw KubeConnectionError(request.method, request.path, config->server,
                                  std::string("the watch stream broke: ") + error.what());
      }
      if (stop.stop_requested()) {
        return WatchEnd::Stopped;
      }
      if (received == 0) {
        deliver(decoder.finish());
        return WatchEnd::Closed;
      }
      deliver(
          decoder.feed(std::string_view(reinterpret_cast<const char*>(buffer.data()), received)));
    }
  }

  std::shared_ptr<const ClusterConfig> config;
  web::uri baseUri;
  std::unique_ptr<http_client> client;
};

CpprestKubeClient::CpprestKubeClient(ClusterConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

CpprestKubeClient::~CpprestKubeClient() = default;

const ClusterConfig& CpprestKubeClient::config() const {
  return *impl_->config;
}

nlohmann::json CpprestKubeClient::get(const ResourceRef& ref) {
  return impl_->call(Request{"GET", objectPath(ref), "", std::nullopt}, {});
}

nlohmann::json CpprestKubeClient::list(const ResourceRef& collection, const ListOptions& options,
                                       std::stop_token stop) {
  return impl_->call(
      Request{"GET", collectionPath(collection.type, collection.ns) + listQuery(options).toString(),
              "", std::nullopt},
      stop);
}

WatchEnd CpprestKubeClient::watch(const ResourceRef& collection, const WatchOptions& options,
                                  const WatchHandler& onEvent, std::stop_token stop) {
  return impl_->watch(
      Request{"GET",
              collectionPath(collection.type, collection.ns) + watchQuery(options).toString(), "",
              std::nullopt},
      options.timeout, onEvent, stop);
}

nlohmann::json CpprestKubeClient::create(const ResourceRef& target, const nlohmann::json& object,
                                         const WriteOptions& options) {
  return impl_->call(
      Request{"POST", pathOf(target) + writeQuery(options).toString(), kJson, object.dump()}, {});
}

nlohmann::json CpprestKubeClient::update(const ResourceRef& ref, const nlohmann::json& object,
                                         const WriteOptions& options) {
  return impl_->call(
      Request{"PUT", objectPath(ref) + writeQuery(options).toString(), kJson, object.dump()}, {});
}

nlohmann::json CpprestKubeClient::patch(const ResourceRef& ref, PatchType type,
                                        const nlohmann::json& body, const PatchOptions& options) {
  return impl_->call(Request{"PATCH", objectPath(ref) + patchQuery(type, options).toString(),
                             contentTypeOf(type), body.dump()},
                     {});
}

nlohmann::json CpprestKubeClient::remove(const ResourceRef& ref, const DeleteOptions& options) {
  const nlohmann::json body = deleteBody(options);
  return impl_->call(Request{"DELETE", objectPath(ref), kJson,
                             body.empty() ? std::nullopt : std::optional(body.dump())},
                     {});
}

}  // namespace tenantshift::kube
