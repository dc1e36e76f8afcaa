#include "api/spec_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "api/content_hash.h"
#include "api/duration.h"
#include "api/spec_error.h"
#include "api/spec_json.h"

namespace tenantshift::api {

namespace {

// A YAML node together with its path in the manifest, so that every error names its field.
class Field {
 public:
  Field(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  bool present() const { return node_.IsDefined() && !node_.IsNull(); }

  [[noreturn]] void fail(const std::string& problem) const { throw SpecError(path_, problem); }

  // Requires a mapping whose keys are all in `allowed`.
  void expectMap(std::initializer_list<const char*> allowed) const {
    if (!node_.IsDefined() || !node_.IsMap()) {
      fail("must be a mapping");
    }
    for (const auto& entry : node_) {
      const auto key = entry.first.as<std::string>();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return key == k; })) {
        std::string names;
        for (const char* k : allowed) {
          names += names.empty() ? k : std::string(", ") + k;
        }
        throw SpecError(child(key).path(), "unknown field (known fields: " + names + ")");
      }
    }
  }

  Field operator[](const std::string& key) const {
    const YAML::Node& node = node_;  // const access never inserts into the document
    return Field(node.IsDefined() && node.IsMap() ? node[key] : YAML::Node(), child(key).path());
  }

  std::string string() const {
    if (!node_.IsDefined() || !node_.IsScalar()) {
      fail("must be a string");
    }
    return node_.as<std::string>();
  }

  std::string nonEmptyString() const {
    auto value = string();
    if (value.empty()) {
      fail("must not be empty");
    }
    return value;
  }

  // A PostgreSQL identifier: 1 to 63 bytes, no NUL.
  std::string identifier() const {
    auto value = nonEmptyString();
    if (value.size() > 63) {
      fail("\"" + value + "\" is longer than PostgreSQL's 63-byte identifier limit");
    }
    if (value.find('\0') != std::string::npos) {
      fail("must not contain a NUL byte");
    }
    return value;
  }

  std::int64_t integer(std::int64_t min, std::int64_t max) const {
    auto text = string();
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      fail("\"" + text + "\" is not a whole number");
    }
    if (value < min || value > max) {
      fail(std::to_string(value) + " is out of range (" + std::to_string(min) + " to " +
           std::to_string(max) + ")");
    }
    return value;
  }

  bool boolean() const {
    auto text = string();
    if (text == "true") {
      return true;
    }
    if (text == "false") {
      return false;
    }
    fail("\"" + text + "\" is not true or false");
  }

  std::chrono::milliseconds duration() const {
    auto text = string();
    auto value = parseDuration(text);
    if (!value) {
      fail("\"" + text + "\" is not a duration (use a number with a unit: 20ms, 1s, 2m)");
    }
    return *value;
  }

  std::vector<Field> list() const {
    if (!node_.IsDefined() || !node_.IsSequence()) {
      fail("must be a list");
    }
    std::vector<Field> items;
    for (std::size_t i = 0; i < node_.size(); ++i) {
      items.emplace_back(node_[i], path_ + "[" + std::to_string(i) + "]");
    }
    return items;
  }

  // A mapping's keys with their fields, in manifest order.
  std::vector<std::pair<std::string, Field>> entries() const {
    if (!node_.IsDefined() || !node_.IsMap()) {
      fail("must be a mapping");
    }
    std::vector<std::pair<std::string, Field>> out;
    for (const auto& entry : node_) {
      const auto key = entry.first.as<std::string>();
      out.emplace_back(key, Field(entry.second, child(key).path()));
    }
    return out;
  }

  // A list of identifiers; a single string is accepted as a one-element list.
  std::vector<std::string> identifierList() const {
    std::vector<std::string> values;
    if (node_.IsDefined() && node_.IsScalar()) {
      values.push_back(identifier());
      return values;
    }
    for (const auto& item : list()) {
      values.push_back(item.identifier());
    }
    return values;
  }

 private:
  Field child(const std::string& key) const {
    return Field(YAML::Node(), path_.empty() ? key : path_ + "." + key);
  }

  YAML::Node node_;
  std::string path_;
};

TenantIdType parseIdType(const Field& field) {
  auto text = field.string();
  if (text == "uuid") {
    return TenantIdType::Uuid;
  }
  if (text == "bigint") {
    return TenantIdType::Bigint;
  }
  if (text == "text") {
    return TenantIdType::Text;
  }
  field.fail("\"" + text + "\" is not a supported tenant id type (uuid, bigint or text)");
}

void parseDatabase(const Field& field, DatabaseSpec& database) {
  // urlSecretRef is the operator's (where the URL is); the CLI takes --database-url.
  field.expectMap({"schema", "appRole", "urlSecretRef"});
  if (field["schema"].present()) {
    database.schema = field["schema"].identifier();
  }
  if (!field["appRole"].present()) {
    field["appRole"].fail("is required: the application's role, as which isolation is verified");
  }
  database.appRole = field["appRole"].identifier();
}

// spec.tenant.newTenantRow: column -> value template with {id} and {id:letters} only.
std::vector<std::pair<std::string, std::string>> parseNewTenantRow(const Field& field,
                                                                   TenantIdType idType) {
  static const std::regex placeholder(R"(\{[^{}]*\})");
  std::vector<std::pair<std::string, std::string>> row;
  for (const auto& [column, value] : field.entries()) {
    if (column.empty() || column.size() > 63) {
      value.fail("is not a column name (1 to 63 bytes)");
    }
    const std::string text = value.string();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), placeholder);
         it != std::sregex_iterator(); ++it) {
      const std::string name = it->str();
      if (name != "{id}" && name != "{id:letters}") {
        value.fail("unknown placeholder " + name + " (known: {id}, {id:letters})");
      }
      if (name == "{id:letters}" && idType == TenantIdType::Text) {
        value.fail("{id:letters} needs idType bigint or uuid (a text id has no letter form)");
      }
    }
    row.emplace_back(column, text);
  }
  return row;
}

void parseTenant(const Field& field, TenantSpec& tenant) {
  field.expectMap({"table", "column", "idType", "setting", "bypassRole", "default",
                   "lookupFunction", "newTenantRow"});
  if (field["table"].present()) {
    tenant.table = field["table"].identifier();
  }
  if (field["column"].present()) {
    tenant.column = field["column"].identifier();
  }
  if (field["idType"].present()) {
    tenant.idType = parseIdType(field["idType"]);
  }
  if (field["setting"].present()) {
    static const std::regex customSetting(
        R"(^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)+$)");
    tenant.setting = field["setting"].nonEmptyString();
    if (!std::regex_match(tenant.setting, customSetting)) {
      field["setting"].fail("\"" + tenant.setting +
                            "\" is not a custom setting name (use prefix.name, e.g. "
                            "app.current_tenant_id)");
    }
  }
  if (field["bypassRole"].present()) {
    tenant.bypassRole = field["bypassRole"].identifier();
  }
  if (field["lookupFunction"].present()) {
    tenant.lookupFunction = field["lookupFunction"].identifier();
  }
  if (field["newTenantRow"].present()) {
    tenant.newTenantRow = parseNewTenantRow(field["newTenantRow"], tenant.idType);
  }
  Field defaults = field["default"];
  if (defaults.present()) {
    defaults.expectMap({"id", "slug", "name"});
    if (defaults["id"].present()) {
      tenant.defaultTenant.id = defaults["id"].nonEmptyString();
    }
    if (defaults["slug"].present()) {
      tenant.defaultTenant.slug = defaults["slug"].nonEmptyString();
    }
    if (defaults["name"].present()) {
      tenant.defaultTenant.name = defaults["name"].nonEmptyString();
    }
  }
  if (auto problem = tenantIdProblem(tenant.idType, tenant.defaultTenant.id)) {
    (defaults.present() && defaults["id"].present() ? defaults["id"] : field["idType"])
        .fail(*problem);
  }
}

TenantSource parseSource(const Field& field) {
  field.expectMap({"parent", "via", "column", "default"});
  const bool parent = field["parent"].present() || field["via"].present();
  const bool column = field["column"].present();
  const bool byDefault = field["default"].present();
  if (int(parent) + int(column) + int(byDefault) != 1) {
    field.fail(
        "give exactly one source: {parent: <table>, via: <column>}, {column: <column>} "
        "or {default: true}");
  }
  TenantSource source;
  if (parent) {
    if (!field["parent"].present()) {
      field["parent"].fail("is required with via: the table the foreign key points to");
    }
    if (!field["via"].present()) {
      field["via"].fail("is required with parent: this table's foreign-key column(s)");
    }
    source.kind = TenantSource::Kind::Parent;
    source.parent = field["parent"].identifier();
    source.via = field["via"].identifierList();
    if (source.via.empty()) {
      field["via"].fail("must name at least one column");
    }
  } else if (column) {
    source.kind = TenantSource::Kind::Column;
    source.column = field["column"].identifier();
  } else {
    if (!field["default"].boolean()) {
      field["default"].fail(
          "only `default: true` is meaningful (omit `from` to derive the source)");
    }
    source.kind = TenantSource::Kind::Default;
  }
  return source;
}

std::vector<TableSpec> parseTables(const Field& field) {
  std::vector<TableSpec> tables;
  std::set<std::string> seen;
  for (const auto& item : field.list()) {
    item.expectMap({"name", "from", "keepUnique", "crossTenantRefs", "keepIndexes"});
    TableSpec table;
    if (!item["name"].present()) {
      item["name"].fail("is required");
    }
    table.name = item["name"].identifier();
    if (!seen.insert(table.name).second) {
      item["name"].fail("table \"" + table.name + "\" is listed twice");
    }
    if (item["from"].present()) {
      table.from = parseSource(item["from"]);
    }
    if (item["keepUnique"].present()) {
      table.keepUnique = item["keepUnique"].identifierList();
    }
    if (item["crossTenantRefs"].present()) {
      table.crossTenantRefs = item["crossTenantRefs"].identifierList();
    }
    if (item["keepIndexes"].present()) {
      table.keepIndexes = item["keepIndexes"].identifierList();
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

// A duration of at least `min`.
std::chrono::milliseconds durationAtLeast(const Field& field, std::chrono::milliseconds min,
                                          const std::string& why) {
  const auto value = field.duration();
  if (value < min) {
    field.fail("must be at least " + formatDuration(min) + why);
  }
  return value;
}

// A Kubernetes name: a DNS-1123 label (namespaces, containers: 63 characters at most) or a
// DNS-1123 subdomain (most objects: 253).
enum class NameRule { Label, Subdomain };

std::string kubernetesName(const Field& field, NameRule rule) {
  static const std::regex label("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  static const std::regex subdomain(
      R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
  std::string value = field.nonEmptyString();
  const std::size_t limit = rule == NameRule::Label ? 63 : 253;
  if (value.size() > limit ||
      !std::regex_match(value, rule == NameRule::Label ? label : subdomain)) {
    field.fail("\"" + value + "\" is not a Kubernetes name (lower-case letters, digits and '-'" +
               (rule == NameRule::Label ? "" : ", dot-separated") + ", at most " +
               std::to_string(limit) + " characters, starting and ending with a letter or digit)");
  }
  return value;
}

// A string of at most 253 characters that matches `pattern` (what Kubernetes accepts as a
// ConfigMap key or an environment variable's name); else the error says it is not `what`.
std::string matching(const Field& field, const std::regex& pattern, const std::string& what) {
  std::string value = field.nonEmptyString();
  if (value.size() > 253 || !std::regex_match(value, pattern)) {
    field.fail("\"" + value + "\" is not " + what);
  }
  return value;
}

// `on` and `off` of a flag outside the database: both required (a value may be empty), and
// different (flipping the flag must change something).
std::pair<std::string, std::string> onAndOff(const Field& field) {
  if (!field["on"].present() || !field["off"].present()) {
    (field["on"].present() ? field["off"] : field["on"])
        .fail(
            "is required: the flag needs the value that turns it on and the one that turns it "
            "off (quote them: \"on\": \"true\")");
  }
  std::string on = field["on"].string();
  std::string off = field["off"].string();
  if (on == off) {
    field["off"].fail("\"" + off + "\" is the same as on: flipping the flag would change nothing");
  }
  return {std::move(on), std::move(off)};
}

ConfigMapFeatureFlag parseConfigMapFlag(const Field& field) {
  field.expectMap({"namespace", "name", "key", "on", "off"});
  ConfigMapFeatureFlag flag;
  if (field["namespace"].present()) {
    flag.ns = kubernetesName(field["namespace"], NameRule::Label);
  }
  if (!field["name"].present()) {
    field["name"].fail("is required: the ConfigMap the application reads its flag from");
  }
  flag.name = kubernetesName(field["name"], NameRule::Subdomain);
  if (!field["key"].present()) {
    field["key"].fail("is required: the ConfigMap's key that holds the flag");
  }
  static const std::regex key("^[-._a-zA-Z0-9]+$");
  flag.key = matching(field["key"], key,
                      "a ConfigMap key (letters, digits, '-', '_' and '.', at most 253)");
  std::tie(flag.on, flag.off) = onAndOff(field);
  return flag;
}

DeploymentFeatureFlag parseDeploymentFlag(const Field& field) {
  field.expectMap({"namespace", "name", "container", "env", "on", "off", "rolloutTimeout"});
  DeploymentFeatureFlag flag;
  if (field["namespace"].present()) {
    flag.ns = kubernetesName(field["namespace"], NameRule::Label);
  }
  if (!field["name"].present()) {
    field["name"].fail("is required: the application's Deployment");
  }
  flag.name = kubernetesName(field["name"], NameRule::Subdomain);
  if (!field["container"].present()) {
    field["container"].fail("is required: the container of the Deployment that reads the flag");
  }
  flag.container = kubernetesName(field["container"], NameRule::Label);
  if (!field["env"].present()) {
    field["env"].fail(
        "is required: the environment variable that holds the flag, e.g. RLS_ENABLED");
  }
  static const std::regex env("^[-._a-zA-Z][-._a-zA-Z0-9]*$");
  flag.env = matching(field["env"], env,
                      "an environment variable name (letters, digits, '_', '-' and '.', not "
                      "starting with a digit)");
  std::tie(flag.on, flag.off) = onAndOff(field);
  if (field["rolloutTimeout"].present()) {
    flag.rolloutTimeout = durationAtLeast(field["rolloutTimeout"], std::chrono::seconds(1), "");
  }
  return flag;
}

void parseFeatureFlag(const Field& field, FeatureFlagSpec& flag) {
  field.expectMap({"sql", "configMap", "deployment"});
  std::string given;
  for (const char* kind : {"sql", "configMap", "deployment"}) {
    if (field[kind].present()) {
      given += (given.empty() ? "" : " and ") + std::string(kind);
    }
  }
  if (given.empty()) {
    field.fail("give one of sql, configMap or deployment (or leave featureFlag out)");
  }
  if (given.find(" and ") != std::string::npos) {
    field.fail("give only one of sql, configMap or deployment, not " + given);
  }
  Field sql = field["sql"];
  if (sql.present()) {
    sql.expectMap({"on", "off"});
    if (!sql["on"].present() || !sql["off"].present()) {
      (sql["on"].present() ? sql["off"] : sql["on"])
          .fail("is required: a SQL flag needs both `on` and `off` statements");
    }
    flag.sql = SqlFeatureFlag{sql["on"].nonEmptyString(), sql["off"].nonEmptyString()};
  }
  if (field["configMap"].present()) {
    flag.configMap = parseConfigMapFlag(field["configMap"]);
  }
  if (field["deployment"].present()) {
    flag.deployment = parseDeploymentFlag(field["deployment"]);
  }
}

void parseThrottle(const Field& field, ThrottleSpec& throttle) {
  field.expectMap({"enabled", "probe", "baselineSamples", "windowSamples",
                   "maxLatencyIncreasePercent", "minLatencyIncrease", "maxReplicationLag",
                   "maxLockWait", "maxPause"});
  using std::chrono::milliseconds;
  if (field["enabled"].present()) {
    throttle.enabled = field["enabled"].boolean();
  }
  if (Field probe = field["probe"]; probe.present()) {
    probe.expectMap({"sql", "interval", "timeout", "commit"});
    if (probe["sql"].present()) {
      throttle.probe.sql = probe["sql"].nonEmptyString();
    }
    if (probe["interval"].present()) {
      throttle.probe.interval = durationAtLeast(probe["interval"], milliseconds(1), "");
      if (throttle.probe.interval > milliseconds(60000)) {
        probe["interval"].fail("must be at most 1m (the throttle judges windows of samples)");
      }
    }
    if (probe["timeout"].present()) {
      throttle.probe.timeout =
          durationAtLeast(probe["timeout"], milliseconds(1), " (0 would let a probe wait forever)");
    }
    if (probe["commit"].present()) {
      throttle.probe.commit = probe["commit"].boolean();
    }
  }
  if (field["baselineSamples"].present()) {
    throttle.baselineSamples = static_cast<int>(field["baselineSamples"].integer(10, 100000));
  }
  if (field["windowSamples"].present()) {
    throttle.windowSamples = static_cast<int>(field["windowSamples"].integer(10, 100000));
  }
  if (field["maxLatencyIncreasePercent"].present()) {
    throttle.maxLatencyIncreasePercent =
        static_cast<int>(field["maxLatencyIncreasePercent"].integer(1, 100000));
  }
  if (field["minLatencyIncrease"].present()) {
    throttle.minLatencyIncrease = field["minLatencyIncrease"].duration();
  }
  if (field["maxReplicationLag"].present()) {
    throttle.maxReplicationLag = field["maxReplicationLag"].duration();
  }
  if (field["maxLockWait"].present()) {
    throttle.maxLockWait = field["maxLockWait"].duration();
  }
  if (field["maxPause"].present()) {
    throttle.maxPause = durationAtLeast(field["maxPause"], milliseconds(1), "");
  }
}

void parseBackfill(const Field& field, BackfillSpec& backfill) {
  field.expectMap(
      {"batchSize", "targetBatchDuration", "minBatchSize", "maxBatchSize", "pause", "throttle"});
  if (field["batchSize"].present()) {
    backfill.batchSize = static_cast<int>(field["batchSize"].integer(1, 1000000));
    if (field["targetBatchDuration"].present()) {
      field["targetBatchDuration"].fail(
          "cannot be combined with batchSize (a fixed size): give one of them");
    }
  }
  if (field["targetBatchDuration"].present()) {
    backfill.targetBatchDuration =
        durationAtLeast(field["targetBatchDuration"], std::chrono::milliseconds(1), "");
  }
  if (field["minBatchSize"].present()) {
    backfill.minBatchSize = static_cast<int>(field["minBatchSize"].integer(1, 1000000));
  }
  if (field["maxBatchSize"].present()) {
    backfill.maxBatchSize = static_cast<int>(field["maxBatchSize"].integer(1, 1000000));
  }
  if (backfill.maxBatchSize < backfill.minBatchSize) {
    (field["maxBatchSize"].present() ? field["maxBatchSize"] : field["minBatchSize"])
        .fail("minBatchSize (" + std::to_string(backfill.minBatchSize) +
              ") must not be larger than maxBatchSize (" + std::to_string(backfill.maxBatchSize) +
              ")");
  }
  if (field["pause"].present()) {
    backfill.pause = field["pause"].duration();
  }
  if (field["throttle"].present()) {
    parseThrottle(field["throttle"], backfill.throttle);
  }
}

// A function named as `name` or `name(argument types)`, as spec.accept.functions lists them.
std::vector<std::string> functionList(const Field& field) {
  static const std::regex signature(R"(^[^()]{1,63}(\([^()]*\))?$)");
  std::vector<std::string> values;
  for (const auto& item : field.list()) {
    std::string value = item.nonEmptyString();
    if (!std::regex_match(value, signature)) {
      item.fail("\"" + value +
                "\" is not a function name or name(argument types), e.g. customer_balance or "
                "customer_balance(integer)");
    }
    values.push_back(std::move(value));
  }
  return values;
}

AcceptSpec parseAccept(const Field& field) {
  field.expectMap({"views", "materializedViews", "functions", "writableGlobalTables"});
  AcceptSpec accept;
  if (field["views"].present()) {
    accept.views = field["views"].identifierList();
  }
  if (field["materializedViews"].present()) {
    accept.materializedViews = field["materializedViews"].identifierList();
  }
  if (field["functions"].present()) {
    accept.functions = functionList(field["functions"]);
  }
  if (field["writableGlobalTables"].present()) {
    accept.writableGlobalTables = field["writableGlobalTables"].identifierList();
  }
  return accept;
}

MigrationSpec parseSpec(const Field& field) {
  field.expectMap({"database", "tenant", "tables", "exclude", "rewriteUniques", "rewriteIndexes",
                   "tenantForeignKeys", "accept", "backfill", "ddl", "featureFlag",
                   // The operator's own fields (controller/operator_spec.h): how and when it runs
                   // the phases; the engine's plan does not depend on them.
                   "paused", "requireApproval", "approvedPlan", "dependsOn", "jobTemplate"});
  MigrationSpec spec;
  if (!field["database"].present()) {
    field["database"].fail("is required (at least database.appRole)");
  }
  parseDatabase(field["database"], spec.database);
  if (field["tenant"].present()) {
    parseTenant(field["tenant"], spec.tenant);
  } else if (auto problem = tenantIdProblem(spec.tenant.idType, spec.tenant.defaultTenant.id)) {
    field["tenant"].fail(*problem);
  }
  if (field["tables"].present()) {
    spec.tables = parseTables(field["tables"]);
  }
  if (field["exclude"].present()) {
    spec.exclude = field["exclude"].identifierList();
    if (spec.tables) {
      auto items = field["exclude"].list();
      for (std::size_t i = 0; i < spec.exclude.size(); ++i) {
        if (spec.findTable(spec.exclude[i]) != nullptr) {
          items[i].fail("table \"" + spec.exclude[i] + "\" is both in spec.tables and excluded");
        }
      }
    }
  }
  if (field["rewriteUniques"].present()) {
    spec.rewriteUniques = field["rewriteUniques"].boolean();
  }
  if (field["rewriteIndexes"].present()) {
    spec.rewriteIndexes = field["rewriteIndexes"].boolean();
  }
  if (field["tenantForeignKeys"].present()) {
    spec.tenantForeignKeys = field["tenantForeignKeys"].boolean();
  }
  if (field["accept"].present()) {
    spec.accept = parseAccept(field["accept"]);
  }
  if (Field backfill = field["backfill"]; backfill.present()) {
    parseBackfill(backfill, spec.backfill);
  }
  if (Field ddl = field["ddl"]; ddl.present()) {
    ddl.expectMap({"lockTimeout", "retries", "indexBuildTimeout"});
    if (ddl["lockTimeout"].present()) {
      spec.ddl.lockTimeout = ddl["lockTimeout"].duration();
      if (spec.ddl.lockTimeout.count() <= 0) {
        ddl["lockTimeout"].fail("must be at least 1ms (0 would let DDL wait forever)");
      }
    }
    if (ddl["retries"].present()) {
      spec.ddl.retries = static_cast<int>(ddl["retries"].integer(0, 10000));
    }
    if (ddl["indexBuildTimeout"].present()) {
      spec.ddl.indexBuildTimeout = ddl["indexBuildTimeout"].duration();
      if (spec.ddl.indexBuildTimeout < spec.ddl.lockTimeout) {
        ddl["indexBuildTimeout"].fail("must be at least ddl.lockTimeout (" +
                                      formatDuration(spec.ddl.lockTimeout) +
                                      "): index builds wait for older transactions to end");
      }
    }
  }
  if (field["featureFlag"].present()) {
    parseFeatureFlag(field["featureFlag"], spec.featureFlag);
  }
  return spec;
}

}  // namespace

std::optional<std::string> tenantIdProblem(TenantIdType type, const std::string& value) {
  switch (type) {
    case TenantIdType::Uuid: {
      static const std::regex uuid(
          "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
      if (!std::regex_match(value, uuid)) {
        return "\"" + value + "\" is not a valid uuid for idType uuid";
      }
      return std::nullopt;
    }
    case TenantIdType::Bigint: {
      std::int64_t parsed = 0;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
        return "\"" + value + "\" is not a valid bigint for idType bigint";
      }
      return std::nullopt;
    }
    case TenantIdType::Text:
      if (value.empty() || value.find('\0') != std::string::npos) {
        return std::string("must be a non-empty string for idType text");
      }
      return std::nullopt;
  }
  return std::nullopt;
}

TenantMigration parseTenantMigration(const std::string& yamlText) {
  YAML::Node root;
  try {
    root = YAML::Load(yamlText);
  } catch (const YAML::Exception& error) {
    throw SpecError("manifest", std::string("is not valid YAML: ") + error.what());
  }
  Field manifest(root, "");
  if (!root.IsMap()) {
    throw SpecError("manifest",
                    "must be a TenantMigration object (apiVersion, kind, metadata, spec)");
  }
  manifest.expectMap({"apiVersion", "kind", "metadata", "spec", "status"});
  TenantMigration migration;
  if (!manifest["apiVersion"].present()) {
    manifest["apiVersion"].fail(std::string("is required (") + kApiVersion + ")");
  }
  migration.apiVersion = manifest["apiVersion"].string();
  if (migration.apiVersion != kApiVersion) {
    manifest["apiVersion"].fail("\"" + migration.apiVersion + "\" is not supported (use " +
                                kApiVersion + ")");
  }
  if (!manifest["kind"].present()) {
    manifest["kind"].fail(std::string("is required (") + kKind + ")");
  }
  migration.kind = manifest["kind"].string();
  if (migration.kind != kKind) {
    manifest["kind"].fail("\"" + migration.kind + "\" is not " + kKind);
  }
  Field metadata = manifest["metadata"];
  if (!metadata.present() || !metadata["name"].present()) {
    metadata["name"].fail("is required: it names the migration in the ledger");
  }
  // Kubernetes adds fields of its own (uid, resourceVersion, ...): metadata is not closed.
  migration.metadata.name = metadata["name"].nonEmptyString();
  if (metadata["namespace"].present()) {
    migration.metadata.ns = metadata["namespace"].string();
  }
  if (!manifest["spec"].present()) {
    manifest["spec"].fail("is required");
  }
  migration.spec = parseSpec(manifest["spec"]);
  return migration;
}

TenantMigration loadTenantMigration(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    throw SpecError(path, std::string("cannot read the manifest (") + std::strerror(errno) + ")");
  }
  std::stringstream text;
  text << file.rdbuf();
  return parseTenantMigration(text.str());
}

std::string specHash(const MigrationSpec& spec) {
  return contentHash(toJson(spec).dump());
}

}  // namespace tenantshift::api
