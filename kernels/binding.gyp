{
  "targets": [
    {
      "target_name": "hlp_kernels",
      "sources": [
        "<!@(ls -1 native/core/*.cpp native/ntt/*.cpp native/eltwise/*.cpp native/pool/*.cpp native/ckks/*.cpp native/keccak/*.cpp native/blake2/*.cpp native/aes/*.cpp native/binding/*.cpp)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      # -falign-loops=64: every loop starts on a cache line. Without it a loop sits wherever the
      # code before it ends, and the same scalar mul_mod loop, byte for byte, ran x1.39 slower
      # after unrelated code elsewhere moved it (docs/gate.md, "What the pairing cannot cancel").
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O3", "-falign-loops=64", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"]
    }
  ]
}
