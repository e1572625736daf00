#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>

#include "compose/log.hpp"

/// Captures what the compose logger writes (message text only) while it lives, at warn level
/// and above whatever the test run's level is; restores the logger afterwards.
class CapturedLog {
public:
    CapturedLog()
        : saved_sinks_(compose::log().sinks()),
          saved_level_(compose::log().level()),
          sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
        sink_->set_pattern("%v");
        compose::log().sinks() = {sink_};
        compose::log().set_level(spdlog::level::warn);
    }
    ~CapturedLog() {
        compose::log().sinks() = saved_sinks_;
        compose::log().set_level(saved_level_);
    }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;
    std::string text() const { return out_.str(); }

private:
    std::vector<spdlog::sink_ptr> saved_sinks_;
    spdlog::level::level_enum saved_level_;
    std::ostringstream out_;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};
