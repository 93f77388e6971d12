// The JPEG decoder's kernel module, a build of its own: only the CLI decodes
// images, so the library's kernel builds (index.ts) do not carry these.
export { u8_jpeg_decode_scan } from './u8-jpeg-decode-scan';
export { s16_jpeg_decode_progressive_scan } from './s16-jpeg-decode-progressive-scan';
export { s16_idct_islow_blocks__simd128 } from './s16-idct-islow-blocks-simd128';
export { u8_ycbcr_to_rgba_fancy__simd128, u8_grey_to_rgba__simd128 } from './u8-ycbcr-to-rgba-fancy-simd128';
