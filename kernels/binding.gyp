{
  "targets": [
    {
      "target_name": "hlp_kernels",
      "sources": [
        "<!@(ls -1 native/core/*.cpp native/ntt/*.cpp native/eltwise/*.cpp native/pool/*.cpp native/ckks/*.cpp native/binding/*.cpp)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O3", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"]
    }
  ]
}
