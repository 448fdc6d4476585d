{
  "variables": {
    "sshn_defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "EIGEN_MPL2_ONLY"],
    "sshn_flags": ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-math-errno"]
  },
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "native/vendor/eigen"
    ],
    "defines": ["<@(sshn_defines)"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
    "cflags_cc": ["<@(sshn_flags)"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "MACOSX_DEPLOYMENT_TARGET": "10.15",
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"]
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/fp:precise", "/bigobj"] }
    }
  },
  "targets": [
    {
      "target_name": "sshn",
      "sources": [
        "native/core/binary_hopfield.cpp",
        "native/core/entmax_large_alpha.cpp",
        "native/core/gemm.cpp",
        "native/core/isa.cpp",
        "native/core/lshn.cpp",
        "native/core/memory.cpp",
        "native/core/pages.cpp",
        "native/core/sparsemap.cpp",
        "native/core/sparsemap_active_set.cpp",
        "native/core/sparsemap_closed_form.cpp",
        "native/core/transforms.cpp",
        "native/core/vexp.cpp",
        "native/addon/addon.cpp",
        "native/addon/binary_hopfield_binding.cpp",
        "native/addon/lshn_binding.cpp",
        "native/addon/memory_binding.cpp",
        "native/addon/sparsemap_binding.cpp",
        "native/addon/transforms_binding.cpp"
      ],
      "conditions": [
        ["target_arch=='x64' and OS!='win'", {
          "defines": ["SSHN_X86_VARIANTS"],
          "dependencies": ["sshn_kernels_avx2", "sshn_kernels_avx512"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64' and OS!='win'", {
      "targets": [
        {
          "target_name": "sshn_kernels_avx2",
          "type": "static_library",
          "sources": ["native/core/kernels_avx2.cpp"],
          "cflags": ["-fPIC"],
          "cflags_cc": ["-mavx2", "-mfma", "-fno-trapping-math"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-mavx2", "-mfma", "-fno-trapping-math"] }
        },
        {
          "target_name": "sshn_kernels_avx512",
          "type": "static_library",
          "sources": ["native/core/kernels_avx512.cpp"],
          "cflags": ["-fPIC"],
          "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-fno-trapping-math"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-fno-trapping-math"] }
        }
      ]
    }]
  ]
}
