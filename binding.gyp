{
  "targets": [
    {
      "target_name": "sshn",
      "sources": [
        "native/core/binary_hopfield.cpp",
        "native/core/gemm.cpp",
        "native/core/lshn.cpp",
        "native/core/memory.cpp",
        "native/core/sparsemap.cpp",
        "native/core/sparsemap_active_set.cpp",
        "native/core/sparsemap_closed_form.cpp",
        "native/core/transforms.cpp",
        "native/addon/addon.cpp",
        "native/addon/binary_hopfield_binding.cpp",
        "native/addon/lshn_binding.cpp",
        "native/addon/memory_binding.cpp",
        "native/addon/sparsemap_binding.cpp",
        "native/addon/transforms_binding.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/vendor/eigen"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "EIGEN_MPL2_ONLY"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/fp:precise", "/bigobj"] }
      }
    }
  ]
}
