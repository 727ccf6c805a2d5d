#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node --initial-old-space-size=128
import '../dist/src/cli.js';
