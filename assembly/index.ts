// The kernel module's exports. Kernels take byte offsets into the imported
// memory and sizes; they allocate nothing and know nothing of dlib.
export { f32_gemm_4x8__simd128 } from './f32-gemm-4x8-simd128';
export { f32_im2col } from './f32-im2col';
export { f32_pool2d } from './f32-pool2d';
export { f32_add_zero_extend } from './f32-add-zero-extend';
export { f32_fc__simd128 } from './f32-fc-simd128';
export { f32_scale_shift, f32_relu } from './f32-scale-shift';
export { u8_rgb_to_f32_planar } from './u8-rgb-to-f32-planar';
