// The kernel module's exports. Kernels take byte offsets into the imported
// memory, sizes and a range of work items (so that threads can share a
// layer); they allocate nothing and know nothing of dlib.
export { f32_igemm_4x8__simd128, f32_igemm_4x8_batched__simd128 } from './f32-igemm-4x8-simd128';
export { f32_igemm_4x1c4__simd128 } from './f32-igemm-4x1c4-simd128';
export { f32_tap_sum_nhwc__simd128 } from './f32-tap-sum-nhwc-simd128';
export { f32_winograd_2x2_3x3_input_nhwc__simd128 } from './f32-winograd-2x2-3x3-input-nhwc-simd128';
export { f32_winograd_2x2_3x3_output_nhwc__simd128 } from './f32-winograd-2x2-3x3-output-nhwc-simd128';
export { f32_winograd_input_nhwc__simd128 } from './f32-winograd-input-nhwc-simd128';
export { f32_winograd_output_nhwc__simd128 } from './f32-winograd-output-nhwc-simd128';
export { f32_winograd_nhwc__simd128 } from './f32-winograd-nhwc-simd128';
export { f32_space_to_depth_2x2_nhwc } from './f32-space-to-depth-2x2-nhwc';
export { f32_pool2d_nhwc__simd128 } from './f32-pool2d-nhwc-simd128';
export { f32_add_zero_extend_nhwc__simd128 } from './f32-add-zero-extend-nhwc-simd128';
export { f32_scale_shift_nhwc__simd128, f32_relu__simd128 } from './f32-scale-shift-nhwc-simd128';
export { f32_copy_channels_nhwc__simd128 } from './f32-copy-channels-nhwc-simd128';
export { u8_rgb_to_f32_nhwc } from './u8-rgb-to-f32-nhwc';
export { u8_rgb_pyramid_down_2__simd128 } from './u8-rgb-pyramid-down-2-simd128';
export { u8_rgb_warp_affine_bilinear__simd128 } from './u8-rgb-warp-affine-bilinear-simd128';
export { u8_rgb_to_planar__simd128 } from './u8-rgb-to-planar-simd128';
export { u8_planar_resize_bilinear__simd128 } from './u8-planar-resize-bilinear-simd128';
export { f32_rgb_resize_bilinear_nhwc__simd128 } from './f32-rgb-resize-bilinear-nhwc-simd128';
export { u8_zero_spans } from './u8-zero-spans';
export { u8_direction_bins__simd128 } from './u8-direction-bins-simd128';
export { f32_fhog_cells__simd128 } from './f32-fhog-cells-simd128';
export { f32_fhog_features__simd128 } from './f32-fhog-features-simd128';
export { f32_correlate_rows__simd128, f32_correlate_columns__simd128 } from './f32-correlate-separable-simd128';
export { f32_correlate_2d__simd128 } from './f32-correlate-2d-simd128';
export { f32_correlate_bank__simd128 } from './f32-correlate-bank-simd128';
export { f32_fft_2d__simd128 } from './f32-fft-2d-simd128';
export { f32_correlate_fft_spectra__simd128, f32_correlate_fft_bank__simd128 } from './f32-correlate-fft-bank-simd128';
export { f32_indices_at_least__simd128 } from './f32-indices-at-least-simd128';
export { f32_winograd_filter_pack } from './f32-winograd-filter-pack';
export { f32_distances_interleaved_4__simd128 } from './f32-distances-interleaved-4-simd128';
export { f32_close_pairs_4x8__simd128 } from './f32-close-pairs-4x8-simd128';
export { f32_forest_leaf_sum__simd128 } from './f32-forest-leaf-sum-simd128';
