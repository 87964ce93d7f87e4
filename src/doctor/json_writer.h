// A tiny JSON writer for doctor's --json output: objects and arrays with comma handling, strings
// escaped, no external dependency.
#pragma once

#include <string>
#include <vector>

#include "common/text.h"

namespace privbind::doctor::json {

class Writer {
 public:
  void beginObject() {
    value();
    out_ += '{';
    first_ = true;
  }
  void endObject() {
    out_ += '}';
    first_ = false;
  }
  void beginArray() {
    value();
    out_ += '[';
    first_ = true;
  }
  void endArray() {
    out_ += ']';
    first_ = false;
  }
  Writer& key(const std::string& k) {
    if (!first_) out_ += ',';
    out_ += text::jsonQuote(k) + ':';
    first_ = true;  // the value that follows needs no comma
    afterKey_ = true;
    return *this;
  }
  void str(const std::string& s) {
    value();
    out_ += text::jsonQuote(s);
    first_ = false;
  }
  void strOrNull(const std::string& s) {
    if (s.empty()) {
      null();
    } else {
      str(s);
    }
  }
  void boolean(bool b) {
    value();
    out_ += b ? "true" : "false";
    first_ = false;
  }
  void number(long long n) {
    value();
    out_ += std::to_string(n);
    first_ = false;
  }
  void null() {
    value();
    out_ += "null";
    first_ = false;
  }
  void strings(const std::vector<std::string>& v) {
    beginArray();
    for (const auto& s : v) str(s);
    endArray();
  }
  // An array of one object per item; fill(item) writes the object's keys.
  template <class Items, class Fill>
  void objects(const Items& items, Fill&& fill) {
    beginArray();
    for (const auto& item : items) {
      beginObject();
      fill(item);
      endObject();
    }
    endArray();
  }
  std::string take() { return out_ + "\n"; }

 private:
  void value() {
    if (afterKey_) {
      afterKey_ = false;
    } else if (!first_) {
      out_ += ',';
    }
  }
  std::string out_;
  bool first_ = true;
  bool afterKey_ = false;
};

}  // namespace privbind::doctor::json
