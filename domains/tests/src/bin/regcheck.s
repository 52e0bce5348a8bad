// regcheck_loop(seed: u64, iterations: u64) -> u64 (0 = every check passed)
//
// Fills x1-x26 and v0-v31 with values derived from the seed (kept in x27),
// then checks them all, over and over, while the kernel preempts the
// domain at arbitrary instructions. Returns the number of the first
// register found changed (1-26 for x, 100-131 for v), or 0.
.arch_extension fp
.arch_extension simd
.section .text, "ax"
.global regcheck_loop
regcheck_loop:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    stp     d8, d9, [sp, #-64]!
    stp     d10, d11, [sp, #16]
    stp     d12, d13, [sp, #32]
    stp     d14, d15, [sp, #48]
    mov     x27, x0
    mov     x0, x1
    ldr     x28, =0x202020202020202
    add     x1, x27, x28
    ldr     x28, =0x303030303030303
    add     x2, x27, x28
    ldr     x28, =0x404040404040404
    add     x3, x27, x28
    ldr     x28, =0x505050505050505
    add     x4, x27, x28
    ldr     x28, =0x606060606060606
    add     x5, x27, x28
    ldr     x28, =0x707070707070707
    add     x6, x27, x28
    ldr     x28, =0x808080808080808
    add     x7, x27, x28
    ldr     x28, =0x909090909090909
    add     x8, x27, x28
    ldr     x28, =0xa0a0a0a0a0a0a0a
    add     x9, x27, x28
    ldr     x28, =0xb0b0b0b0b0b0b0b
    add     x10, x27, x28
    ldr     x28, =0xc0c0c0c0c0c0c0c
    add     x11, x27, x28
    ldr     x28, =0xd0d0d0d0d0d0d0d
    add     x12, x27, x28
    ldr     x28, =0xe0e0e0e0e0e0e0e
    add     x13, x27, x28
    ldr     x28, =0xf0f0f0f0f0f0f0f
    add     x14, x27, x28
    ldr     x28, =0x1010101010101010
    add     x15, x27, x28
    ldr     x28, =0x1111111111111111
    add     x16, x27, x28
    ldr     x28, =0x1212121212121212
    add     x17, x27, x28
    ldr     x28, =0x1313131313131313
    add     x18, x27, x28
    ldr     x28, =0x1414141414141414
    add     x19, x27, x28
    ldr     x28, =0x1515151515151515
    add     x20, x27, x28
    ldr     x28, =0x1616161616161616
    add     x21, x27, x28
    ldr     x28, =0x1717171717171717
    add     x22, x27, x28
    ldr     x28, =0x1818181818181818
    add     x23, x27, x28
    ldr     x28, =0x1919191919191919
    add     x24, x27, x28
    ldr     x28, =0x1a1a1a1a1a1a1a1a
    add     x25, x27, x28
    ldr     x28, =0x1b1b1b1b1b1b1b1b
    add     x26, x27, x28
    ldr     x28, =0x6565656565656565
    add     x28, x27, x28
    fmov    d0, x28
    ldr     x28, =0xc9c9c9c9c9c9c9c9
    eor     x28, x27, x28
    mov     v0.d[1], x28
    ldr     x28, =0x6666666666666666
    add     x28, x27, x28
    fmov    d1, x28
    ldr     x28, =0xcacacacacacacaca
    eor     x28, x27, x28
    mov     v1.d[1], x28
    ldr     x28, =0x6767676767676767
    add     x28, x27, x28
    fmov    d2, x28
    ldr     x28, =0xcbcbcbcbcbcbcbcb
    eor     x28, x27, x28
    mov     v2.d[1], x28
    ldr     x28, =0x6868686868686868
    add     x28, x27, x28
    fmov    d3, x28
    ldr     x28, =0xcccccccccccccccc
    eor     x28, x27, x28
    mov     v3.d[1], x28
    ldr     x28, =0x6969696969696969
    add     x28, x27, x28
    fmov    d4, x28
    ldr     x28, =0xcdcdcdcdcdcdcdcd
    eor     x28, x27, x28
    mov     v4.d[1], x28
    ldr     x28, =0x6a6a6a6a6a6a6a6a
    add     x28, x27, x28
    fmov    d5, x28
    ldr     x28, =0xcececececececece
    eor     x28, x27, x28
    mov     v5.d[1], x28
    ldr     x28, =0x6b6b6b6b6b6b6b6b
    add     x28, x27, x28
    fmov    d6, x28
    ldr     x28, =0xcfcfcfcfcfcfcfcf
    eor     x28, x27, x28
    mov     v6.d[1], x28
    ldr     x28, =0x6c6c6c6c6c6c6c6c
    add     x28, x27, x28
    fmov    d7, x28
    ldr     x28, =0xd0d0d0d0d0d0d0d0
    eor     x28, x27, x28
    mov     v7.d[1], x28
    ldr     x28, =0x6d6d6d6d6d6d6d6d
    add     x28, x27, x28
    fmov    d8, x28
    ldr     x28, =0xd1d1d1d1d1d1d1d1
    eor     x28, x27, x28
    mov     v8.d[1], x28
    ldr     x28, =0x6e6e6e6e6e6e6e6e
    add     x28, x27, x28
    fmov    d9, x28
    ldr     x28, =0xd2d2d2d2d2d2d2d2
    eor     x28, x27, x28
    mov     v9.d[1], x28
    ldr     x28, =0x6f6f6f6f6f6f6f6f
    add     x28, x27, x28
    fmov    d10, x28
    ldr     x28, =0xd3d3d3d3d3d3d3d3
    eor     x28, x27, x28
    mov     v10.d[1], x28
    ldr     x28, =0x7070707070707070
    add     x28, x27, x28
    fmov    d11, x28
    ldr     x28, =0xd4d4d4d4d4d4d4d4
    eor     x28, x27, x28
    mov     v11.d[1], x28
    ldr     x28, =0x7171717171717171
    add     x28, x27, x28
    fmov    d12, x28
    ldr     x28, =0xd5d5d5d5d5d5d5d5
    eor     x28, x27, x28
    mov     v12.d[1], x28
    ldr     x28, =0x7272727272727272
    add     x28, x27, x28
    fmov    d13, x28
    ldr     x28, =0xd6d6d6d6d6d6d6d6
    eor     x28, x27, x28
    mov     v13.d[1], x28
    ldr     x28, =0x7373737373737373
    add     x28, x27, x28
    fmov    d14, x28
    ldr     x28, =0xd7d7d7d7d7d7d7d7
    eor     x28, x27, x28
    mov     v14.d[1], x28
    ldr     x28, =0x7474747474747474
    add     x28, x27, x28
    fmov    d15, x28
    ldr     x28, =0xd8d8d8d8d8d8d8d8
    eor     x28, x27, x28
    mov     v15.d[1], x28
    ldr     x28, =0x7575757575757575
    add     x28, x27, x28
    fmov    d16, x28
    ldr     x28, =0xd9d9d9d9d9d9d9d9
    eor     x28, x27, x28
    mov     v16.d[1], x28
    ldr     x28, =0x7676767676767676
    add     x28, x27, x28
    fmov    d17, x28
    ldr     x28, =0xdadadadadadadada
    eor     x28, x27, x28
    mov     v17.d[1], x28
    ldr     x28, =0x7777777777777777
    add     x28, x27, x28
    fmov    d18, x28
    ldr     x28, =0xdbdbdbdbdbdbdbdb
    eor     x28, x27, x28
    mov     v18.d[1], x28
    ldr     x28, =0x7878787878787878
    add     x28, x27, x28
    fmov    d19, x28
    ldr     x28, =0xdcdcdcdcdcdcdcdc
    eor     x28, x27, x28
    mov     v19.d[1], x28
    ldr     x28, =0x7979797979797979
    add     x28, x27, x28
    fmov    d20, x28
    ldr     x28, =0xdddddddddddddddd
    eor     x28, x27, x28
    mov     v20.d[1], x28
    ldr     x28, =0x7a7a7a7a7a7a7a7a
    add     x28, x27, x28
    fmov    d21, x28
    ldr     x28, =0xdededededededede
    eor     x28, x27, x28
    mov     v21.d[1], x28
    ldr     x28, =0x7b7b7b7b7b7b7b7b
    add     x28, x27, x28
    fmov    d22, x28
    ldr     x28, =0xdfdfdfdfdfdfdfdf
    eor     x28, x27, x28
    mov     v22.d[1], x28
    ldr     x28, =0x7c7c7c7c7c7c7c7c
    add     x28, x27, x28
    fmov    d23, x28
    ldr     x28, =0xe0e0e0e0e0e0e0e0
    eor     x28, x27, x28
    mov     v23.d[1], x28
    ldr     x28, =0x7d7d7d7d7d7d7d7d
    add     x28, x27, x28
    fmov    d24, x28
    ldr     x28, =0xe1e1e1e1e1e1e1e1
    eor     x28, x27, x28
    mov     v24.d[1], x28
    ldr     x28, =0x7e7e7e7e7e7e7e7e
    add     x28, x27, x28
    fmov    d25, x28
    ldr     x28, =0xe2e2e2e2e2e2e2e2
    eor     x28, x27, x28
    mov     v25.d[1], x28
    ldr     x28, =0x7f7f7f7f7f7f7f7f
    add     x28, x27, x28
    fmov    d26, x28
    ldr     x28, =0xe3e3e3e3e3e3e3e3
    eor     x28, x27, x28
    mov     v26.d[1], x28
    ldr     x28, =0x8080808080808080
    add     x28, x27, x28
    fmov    d27, x28
    ldr     x28, =0xe4e4e4e4e4e4e4e4
    eor     x28, x27, x28
    mov     v27.d[1], x28
    ldr     x28, =0x8181818181818181
    add     x28, x27, x28
    fmov    d28, x28
    ldr     x28, =0xe5e5e5e5e5e5e5e5
    eor     x28, x27, x28
    mov     v28.d[1], x28
    ldr     x28, =0x8282828282828282
    add     x28, x27, x28
    fmov    d29, x28
    ldr     x28, =0xe6e6e6e6e6e6e6e6
    eor     x28, x27, x28
    mov     v29.d[1], x28
    ldr     x28, =0x8383838383838383
    add     x28, x27, x28
    fmov    d30, x28
    ldr     x28, =0xe7e7e7e7e7e7e7e7
    eor     x28, x27, x28
    mov     v30.d[1], x28
    ldr     x28, =0x8484848484848484
    add     x28, x27, x28
    fmov    d31, x28
    ldr     x28, =0xe8e8e8e8e8e8e8e8
    eor     x28, x27, x28
    mov     v31.d[1], x28
1:
    ldr     x28, =0x202020202020202
    add     x28, x27, x28
    cmp     x1, x28
    mov     x29, #1
    b.ne    2f
    ldr     x28, =0x303030303030303
    add     x28, x27, x28
    cmp     x2, x28
    mov     x29, #2
    b.ne    2f
    ldr     x28, =0x404040404040404
    add     x28, x27, x28
    cmp     x3, x28
    mov     x29, #3
    b.ne    2f
    ldr     x28, =0x505050505050505
    add     x28, x27, x28
    cmp     x4, x28
    mov     x29, #4
    b.ne    2f
    ldr     x28, =0x606060606060606
    add     x28, x27, x28
    cmp     x5, x28
    mov     x29, #5
    b.ne    2f
    ldr     x28, =0x707070707070707
    add     x28, x27, x28
    cmp     x6, x28
    mov     x29, #6
    b.ne    2f
    ldr     x28, =0x808080808080808
    add     x28, x27, x28
    cmp     x7, x28
    mov     x29, #7
    b.ne    2f
    ldr     x28, =0x909090909090909
    add     x28, x27, x28
    cmp     x8, x28
    mov     x29, #8
    b.ne    2f
    ldr     x28, =0xa0a0a0a0a0a0a0a
    add     x28, x27, x28
    cmp     x9, x28
    mov     x29, #9
    b.ne    2f
    ldr     x28, =0xb0b0b0b0b0b0b0b
    add     x28, x27, x28
    cmp     x10, x28
    mov     x29, #10
    b.ne    2f
    ldr     x28, =0xc0c0c0c0c0c0c0c
    add     x28, x27, x28
    cmp     x11, x28
    mov     x29, #11
    b.ne    2f
    ldr     x28, =0xd0d0d0d0d0d0d0d
    add     x28, x27, x28
    cmp     x12, x28
    mov     x29, #12
    b.ne    2f
    ldr     x28, =0xe0e0e0e0e0e0e0e
    add     x28, x27, x28
    cmp     x13, x28
    mov     x29, #13
    b.ne    2f
    ldr     x28, =0xf0f0f0f0f0f0f0f
    add     x28, x27, x28
    cmp     x14, x28
    mov     x29, #14
    b.ne    2f
    ldr     x28, =0x1010101010101010
    add     x28, x27, x28
    cmp     x15, x28
    mov     x29, #15
    b.ne    2f
    ldr     x28, =0x1111111111111111
    add     x28, x27, x28
    cmp     x16, x28
    mov     x29, #16
    b.ne    2f
    ldr     x28, =0x1212121212121212
    add     x28, x27, x28
    cmp     x17, x28
    mov     x29, #17
    b.ne    2f
    ldr     x28, =0x1313131313131313
    add     x28, x27, x28
    cmp     x18, x28
    mov     x29, #18
    b.ne    2f
    ldr     x28, =0x1414141414141414
    add     x28, x27, x28
    cmp     x19, x28
    mov     x29, #19
    b.ne    2f
    ldr     x28, =0x1515151515151515
    add     x28, x27, x28
    cmp     x20, x28
    mov     x29, #20
    b.ne    2f
    ldr     x28, =0x1616161616161616
    add     x28, x27, x28
    cmp     x21, x28
    mov     x29, #21
    b.ne    2f
    ldr     x28, =0x1717171717171717
    add     x28, x27, x28
    cmp     x22, x28
    mov     x29, #22
    b.ne    2f
    ldr     x28, =0x1818181818181818
    add     x28, x27, x28
    cmp     x23, x28
    mov     x29, #23
    b.ne    2f
    ldr     x28, =0x1919191919191919
    add     x28, x27, x28
    cmp     x24, x28
    mov     x29, #24
    b.ne    2f
    ldr     x28, =0x1a1a1a1a1a1a1a1a
    add     x28, x27, x28
    cmp     x25, x28
    mov     x29, #25
    b.ne    2f
    ldr     x28, =0x1b1b1b1b1b1b1b1b
    add     x28, x27, x28
    cmp     x26, x28
    mov     x29, #26
    b.ne    2f
    ldr     x28, =0x6565656565656565
    add     x28, x27, x28
    fmov    x30, d0
    mov     x29, #100
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xc9c9c9c9c9c9c9c9
    eor     x28, x27, x28
    mov     x30, v0.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6666666666666666
    add     x28, x27, x28
    fmov    x30, d1
    mov     x29, #101
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xcacacacacacacaca
    eor     x28, x27, x28
    mov     x30, v1.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6767676767676767
    add     x28, x27, x28
    fmov    x30, d2
    mov     x29, #102
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xcbcbcbcbcbcbcbcb
    eor     x28, x27, x28
    mov     x30, v2.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6868686868686868
    add     x28, x27, x28
    fmov    x30, d3
    mov     x29, #103
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xcccccccccccccccc
    eor     x28, x27, x28
    mov     x30, v3.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6969696969696969
    add     x28, x27, x28
    fmov    x30, d4
    mov     x29, #104
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xcdcdcdcdcdcdcdcd
    eor     x28, x27, x28
    mov     x30, v4.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6a6a6a6a6a6a6a6a
    add     x28, x27, x28
    fmov    x30, d5
    mov     x29, #105
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xcececececececece
    eor     x28, x27, x28
    mov     x30, v5.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6b6b6b6b6b6b6b6b
    add     x28, x27, x28
    fmov    x30, d6
    mov     x29, #106
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xcfcfcfcfcfcfcfcf
    eor     x28, x27, x28
    mov     x30, v6.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6c6c6c6c6c6c6c6c
    add     x28, x27, x28
    fmov    x30, d7
    mov     x29, #107
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd0d0d0d0d0d0d0d0
    eor     x28, x27, x28
    mov     x30, v7.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6d6d6d6d6d6d6d6d
    add     x28, x27, x28
    fmov    x30, d8
    mov     x29, #108
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd1d1d1d1d1d1d1d1
    eor     x28, x27, x28
    mov     x30, v8.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6e6e6e6e6e6e6e6e
    add     x28, x27, x28
    fmov    x30, d9
    mov     x29, #109
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd2d2d2d2d2d2d2d2
    eor     x28, x27, x28
    mov     x30, v9.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x6f6f6f6f6f6f6f6f
    add     x28, x27, x28
    fmov    x30, d10
    mov     x29, #110
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd3d3d3d3d3d3d3d3
    eor     x28, x27, x28
    mov     x30, v10.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7070707070707070
    add     x28, x27, x28
    fmov    x30, d11
    mov     x29, #111
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd4d4d4d4d4d4d4d4
    eor     x28, x27, x28
    mov     x30, v11.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7171717171717171
    add     x28, x27, x28
    fmov    x30, d12
    mov     x29, #112
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd5d5d5d5d5d5d5d5
    eor     x28, x27, x28
    mov     x30, v12.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7272727272727272
    add     x28, x27, x28
    fmov    x30, d13
    mov     x29, #113
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd6d6d6d6d6d6d6d6
    eor     x28, x27, x28
    mov     x30, v13.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7373737373737373
    add     x28, x27, x28
    fmov    x30, d14
    mov     x29, #114
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd7d7d7d7d7d7d7d7
    eor     x28, x27, x28
    mov     x30, v14.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7474747474747474
    add     x28, x27, x28
    fmov    x30, d15
    mov     x29, #115
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd8d8d8d8d8d8d8d8
    eor     x28, x27, x28
    mov     x30, v15.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7575757575757575
    add     x28, x27, x28
    fmov    x30, d16
    mov     x29, #116
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xd9d9d9d9d9d9d9d9
    eor     x28, x27, x28
    mov     x30, v16.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7676767676767676
    add     x28, x27, x28
    fmov    x30, d17
    mov     x29, #117
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xdadadadadadadada
    eor     x28, x27, x28
    mov     x30, v17.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7777777777777777
    add     x28, x27, x28
    fmov    x30, d18
    mov     x29, #118
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xdbdbdbdbdbdbdbdb
    eor     x28, x27, x28
    mov     x30, v18.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7878787878787878
    add     x28, x27, x28
    fmov    x30, d19
    mov     x29, #119
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xdcdcdcdcdcdcdcdc
    eor     x28, x27, x28
    mov     x30, v19.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7979797979797979
    add     x28, x27, x28
    fmov    x30, d20
    mov     x29, #120
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xdddddddddddddddd
    eor     x28, x27, x28
    mov     x30, v20.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7a7a7a7a7a7a7a7a
    add     x28, x27, x28
    fmov    x30, d21
    mov     x29, #121
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xdededededededede
    eor     x28, x27, x28
    mov     x30, v21.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7b7b7b7b7b7b7b7b
    add     x28, x27, x28
    fmov    x30, d22
    mov     x29, #122
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xdfdfdfdfdfdfdfdf
    eor     x28, x27, x28
    mov     x30, v22.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7c7c7c7c7c7c7c7c
    add     x28, x27, x28
    fmov    x30, d23
    mov     x29, #123
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe0e0e0e0e0e0e0e0
    eor     x28, x27, x28
    mov     x30, v23.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7d7d7d7d7d7d7d7d
    add     x28, x27, x28
    fmov    x30, d24
    mov     x29, #124
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe1e1e1e1e1e1e1e1
    eor     x28, x27, x28
    mov     x30, v24.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7e7e7e7e7e7e7e7e
    add     x28, x27, x28
    fmov    x30, d25
    mov     x29, #125
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe2e2e2e2e2e2e2e2
    eor     x28, x27, x28
    mov     x30, v25.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x7f7f7f7f7f7f7f7f
    add     x28, x27, x28
    fmov    x30, d26
    mov     x29, #126
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe3e3e3e3e3e3e3e3
    eor     x28, x27, x28
    mov     x30, v26.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x8080808080808080
    add     x28, x27, x28
    fmov    x30, d27
    mov     x29, #127
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe4e4e4e4e4e4e4e4
    eor     x28, x27, x28
    mov     x30, v27.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x8181818181818181
    add     x28, x27, x28
    fmov    x30, d28
    mov     x29, #128
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe5e5e5e5e5e5e5e5
    eor     x28, x27, x28
    mov     x30, v28.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x8282828282828282
    add     x28, x27, x28
    fmov    x30, d29
    mov     x29, #129
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe6e6e6e6e6e6e6e6
    eor     x28, x27, x28
    mov     x30, v29.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x8383838383838383
    add     x28, x27, x28
    fmov    x30, d30
    mov     x29, #130
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe7e7e7e7e7e7e7e7
    eor     x28, x27, x28
    mov     x30, v30.d[1]
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0x8484848484848484
    add     x28, x27, x28
    fmov    x30, d31
    mov     x29, #131
    cmp     x30, x28
    b.ne    2f
    ldr     x28, =0xe8e8e8e8e8e8e8e8
    eor     x28, x27, x28
    mov     x30, v31.d[1]
    cmp     x30, x28
    b.ne    2f
    subs    x0, x0, #1
    b.ne    1b
    mov     x29, #0
2:
    mov     x0, x29
    ldp     d14, d15, [sp, #48]
    ldp     d12, d13, [sp, #32]
    ldp     d10, d11, [sp, #16]
    ldp     d8, d9, [sp], #64
    ldp     x27, x28, [sp, #80]
    ldp     x25, x26, [sp, #64]
    ldp     x23, x24, [sp, #48]
    ldp     x21, x22, [sp, #32]
    ldp     x19, x20, [sp, #16]
    ldp     x29, x30, [sp], #96
    ret
    .ltorg
