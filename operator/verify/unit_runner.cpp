#include "verify/unit_runner.h"

#include <spdlog/spdlog.h>

#include "db/failure.h"
#include "verify/sql_support.h"

namespace tenantshift::verify {

UnitRun runUnit(pqxx::connection& connection, const VerifyOptions& options, const std::string& what,
                const std::function<void(pqxx::connection&)>& unit) {
  UnitRun run;
  for (int number = 1;; ++number) {
    run.attempts = number;
    try {
      unit(connection);
      run.done = true;
      return run;
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::in_doubt_error&) {
      throw;
    } catch (const std::exception& error) {
      const bool contention = isContention(error);
      if (!contention) {
        if (dynamic_cast<const pqxx::failure*>(&error) == nullptr) {
          throw;  // not the database: a bug, let it surface
        }
        run.error = errorText(error);
        return run;
      }
      if (number > options.retry.retries) {
        run.error = what + " was blocked by other sessions through " + std::to_string(number) +
                    " attempts (last: " + errorText(error) +
                    "); find the sessions holding locks in pg_stat_activity / pg_locks, or raise "
                    "spec.ddl.lockTimeout or spec.ddl.retries, then verify again";
        return run;
      }
      const auto wait = options.retry.delayBefore(number, options.unitRandom());
      spdlog::debug("verify unit retrying what=\"{}\" attempt={} wait_ms={} error=\"{}\"", what,
                    number + 1, wait.count(), db::firstLine(error.what()));
      options.sleepFor(wait);
    }
  }
}

}  // namespace tenantshift::verify
