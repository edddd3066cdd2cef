// RAII owners for GLib, GObject and GStreamer pointers.
//
// Ownership is always spelled out: GRef<T>::adopt(p) takes over a reference the caller owns
// (transfer full), GRef<T>::ref(p) adds one (transfer none). There is deliberately no
// constructor from a raw pointer, so a transfer-full return value can never be wrapped by a
// silent extra ref (the flaw of WebKit's GRefPtr this otherwise follows).
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include <cstddef>
#include <utility>

namespace su {

// How to ref and unref a T. Only types declared below (or with SU_GREF_* in an area's own
// header) can be held, so a GObject-only ref can never be applied to a boxed or mini-object.
template <typename T>
struct GRefTraits;

template <typename T>
struct GObjectRefTraits {
  // g_object_ref_sink claims a floating reference (GstObject, GInitiallyUnowned) or adds one.
  static T* ref(T* ptr) noexcept { return static_cast<T*>(g_object_ref_sink(ptr)); }
  static void unref(T* ptr) noexcept { g_object_unref(ptr); }
  // An adopted floating reference becomes a normal one, without changing the count.
  static void sinkAdopted(T* ptr) noexcept {
    if (g_object_is_floating(ptr)) g_object_ref_sink(ptr);
  }
};

template <typename T>
class GRef {
 public:
  using Traits = GRefTraits<T>;

  GRef() noexcept = default;
  GRef(std::nullptr_t) noexcept {}  // NOLINT: lets `return nullptr;` mean "none"

  // Takes over a reference the caller already owns (transfer full).
  [[nodiscard]] static GRef adopt(T* ptr) noexcept {
    GRef result;
    result.ptr_ = ptr;
    if (ptr) Traits::sinkAdopted(ptr);
    return result;
  }

  // Adds a reference of our own (transfer none).
  [[nodiscard]] static GRef ref(T* ptr) noexcept {
    GRef result;
    result.ptr_ = ptr ? Traits::ref(ptr) : nullptr;
    return result;
  }

  GRef(const GRef& other) noexcept : ptr_(other.ptr_ ? Traits::ref(other.ptr_) : nullptr) {}
  GRef(GRef&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  GRef& operator=(GRef other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }
  ~GRef() { reset(); }

  T* get() const noexcept { return ptr_; }
  T* operator->() const noexcept { return ptr_; }
  explicit operator bool() const noexcept { return ptr_ != nullptr; }

  // Hands our reference to a transfer-full callee.
  [[nodiscard]] T* release() noexcept { return std::exchange(ptr_, nullptr); }

  void reset() noexcept {
    if (T* old = std::exchange(ptr_, nullptr)) Traits::unref(old);
  }

  // For transfer-full out-parameters: `fn(&error, out.outPtr())`.
  T** outPtr() noexcept {
    reset();
    return &ptr_;
  }

  friend bool operator==(const GRef& a, const GRef& b) noexcept { return a.ptr_ == b.ptr_; }

 private:
  T* ptr_ = nullptr;
};

// Single-owner pointers released with a free function (GError, g_free'd strings, structures).
template <typename T>
struct GFreeTraits;

template <typename T>
class GUnique {
 public:
  GUnique() noexcept = default;
  GUnique(std::nullptr_t) noexcept {}  // NOLINT

  [[nodiscard]] static GUnique adopt(T* ptr) noexcept {
    GUnique result;
    result.ptr_ = ptr;
    return result;
  }

  GUnique(const GUnique&) = delete;
  GUnique& operator=(const GUnique&) = delete;
  GUnique(GUnique&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
  GUnique& operator=(GUnique&& other) noexcept {
    if (this != &other) {
      reset();
      ptr_ = std::exchange(other.ptr_, nullptr);
    }
    return *this;
  }
  ~GUnique() { reset(); }

  T* get() const noexcept { return ptr_; }
  T* operator->() const noexcept { return ptr_; }
  explicit operator bool() const noexcept { return ptr_ != nullptr; }
  [[nodiscard]] T* release() noexcept { return std::exchange(ptr_, nullptr); }
  void reset() noexcept {
    if (T* old = std::exchange(ptr_, nullptr)) GFreeTraits<T>::free(old);
  }
  T** outPtr() noexcept {
    reset();
    return &ptr_;
  }

 private:
  T* ptr_ = nullptr;
};

}  // namespace su

// Declares a reference-counted type with its ref and unref functions.
#define SU_GREF_TRAITS(Type, refFunction, unrefFunction)              \
  template <>                                                         \
  struct su::GRefTraits<Type> {                                       \
    static Type* ref(Type* ptr) noexcept { return refFunction(ptr); } \
    static void unref(Type* ptr) noexcept { unrefFunction(ptr); }     \
    static void sinkAdopted(Type*) noexcept {}                        \
  }

// Declares a GObject type (including GstObject subclasses, whose references may be floating).
#define SU_GREF_GOBJECT(Type) \
  template <>                 \
  struct su::GRefTraits<Type> : su::GObjectRefTraits<Type> {}

#define SU_GUNIQUE_TRAITS(Type, freeFunction)                   \
  template <>                                                   \
  struct su::GFreeTraits<Type> {                                \
    static void free(Type* ptr) noexcept { freeFunction(ptr); } \
  }

SU_GREF_TRAITS(GMainContext, g_main_context_ref, g_main_context_unref);
SU_GREF_TRAITS(GMainLoop, g_main_loop_ref, g_main_loop_unref);
SU_GREF_TRAITS(GSource, g_source_ref, g_source_unref);
SU_GREF_TRAITS(GBytes, g_bytes_ref, g_bytes_unref);
SU_GREF_TRAITS(GVariant, g_variant_ref, g_variant_unref);
SU_GREF_TRAITS(GUri, g_uri_ref, g_uri_unref);
SU_GREF_TRAITS(GstCaps, gst_caps_ref, gst_caps_unref);
SU_GREF_TRAITS(GstBuffer, gst_buffer_ref, gst_buffer_unref);
SU_GREF_TRAITS(GstMessage, gst_message_ref, gst_message_unref);
SU_GREF_TRAITS(GstEvent, gst_event_ref, gst_event_unref);
SU_GREF_TRAITS(GstSample, gst_sample_ref, gst_sample_unref);

SU_GREF_GOBJECT(GObject);
SU_GREF_GOBJECT(GCancellable);
SU_GREF_GOBJECT(GSubprocess);
SU_GREF_GOBJECT(GSocket);
SU_GREF_GOBJECT(GSocketAddress);
SU_GREF_GOBJECT(GInetAddress);
SU_GREF_GOBJECT(GSocketClient);
SU_GREF_GOBJECT(GSocketConnectable);
SU_GREF_GOBJECT(GSocketConnection);
SU_GREF_GOBJECT(GSocketListener);
SU_GREF_GOBJECT(GSocketService);
SU_GREF_GOBJECT(GIOStream);
SU_GREF_GOBJECT(GInputStream);
SU_GREF_GOBJECT(GOutputStream);
SU_GREF_GOBJECT(GTlsCertificate);
SU_GREF_GOBJECT(GTlsDatabase);
SU_GREF_GOBJECT(GFile);
SU_GREF_GOBJECT(GstObject);
SU_GREF_GOBJECT(GstElement);
SU_GREF_GOBJECT(GstBin);
SU_GREF_GOBJECT(GstPipeline);
SU_GREF_GOBJECT(GstBus);
SU_GREF_GOBJECT(GstPad);

SU_GUNIQUE_TRAITS(GError, g_error_free);
SU_GUNIQUE_TRAITS(char, g_free);
SU_GUNIQUE_TRAITS(GstStructure, gst_structure_free);
SU_GUNIQUE_TRAITS(GDateTime, g_date_time_unref);
SU_GUNIQUE_TRAITS(GUri, g_uri_unref);
SU_GUNIQUE_TRAITS(GKeyFile, g_key_file_unref);
SU_GUNIQUE_TRAITS(char*, g_strfreev);  // a NULL-terminated array of strings
