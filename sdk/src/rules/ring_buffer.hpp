// A FIFO over a growable circular array: what a sliding window needs (push at the back, drop at
// the front, index from the front), with no allocation while empty, unlike std::deque. The
// capacity is a power of two so positions wrap with a mask, not a division.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

namespace touchpoint::rules {

template <typename T>
class RingBuffer {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return buffer_.size(); }
  const T& front() const { return buffer_[head_]; }
  const T& back() const { return (*this)[size_ - 1]; }
  const T& operator[](std::size_t i) const { return buffer_[(head_ + i) & (buffer_.size() - 1)]; }

  void push_back(T value) {
    if (size_ == buffer_.size()) grow();
    buffer_[(head_ + size_) & (buffer_.size() - 1)] = std::move(value);
    ++size_;
  }
  void pop_front() {
    head_ = (head_ + 1) & (buffer_.size() - 1);
    if (--size_ == 0) head_ = 0;
  }
  void pop_back() { --size_; }
  void clear() {
    buffer_.clear();
    buffer_.shrink_to_fit();
    head_ = size_ = 0;
  }

 private:
  void grow() {
    std::vector<T> bigger(buffer_.empty() ? 8 : buffer_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(buffer_[(head_ + i) & (buffer_.size() - 1)]);
    buffer_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> buffer_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace touchpoint::rules
