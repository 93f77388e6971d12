import { parsePrintout, type Topology } from './printout.js';

/**
 * dlib's printout (`std::cout << net`) of dlib-models' gender classifier,
 * `loss_multiclass_log<fc<2, multiply<relu<fc<16, multiply<alevel1<alevel2<
 * input_rgb_image_sized<32>>>>>>>>>` with `alevelN = avg_pool<2,2,2,2,
 * ares_<N>>` and `ares_<N> = relu<affine<con<N,3,3,1,1, relu<affine<con<N,3,3,1,1,
 * SUBNET>>>>>>`: the file holds bn payloads where the net says affine, which
 * dlib converts as it reads them, and so does the reader given this.
 */
const GENDER_CLASSIFIER_PRINTOUT = `layer<0>	loss_multiclass_log
layer<1>	fc	 (num_outputs=2) learning_rate_mult=1 weight_decay_mult=1 bias_learning_rate_mult=1 bias_weight_decay_mult=0
layer<2>	multiply (val=0.5)
layer<3>	relu
layer<4>	fc	 (num_outputs=16) learning_rate_mult=1 weight_decay_mult=1 bias_learning_rate_mult=1 bias_weight_decay_mult=0
layer<5>	multiply (val=0.5)
layer<6>	avg_pool (nr=2, nc=2, stride_y=2, stride_x=2, padding_y=0, padding_x=0)
layer<7>	relu
layer<8>	affine
layer<9>	con	 (num_filters=64, nr=3, nc=3, stride_y=1, stride_x=1, padding_y=1, padding_x=1) learning_rate_mult=1 weight_decay_mult=1 bias_learning_rate_mult=1 bias_weight_decay_mult=0
layer<10>	relu
layer<11>	affine
layer<12>	con	 (num_filters=64, nr=3, nc=3, stride_y=1, stride_x=1, padding_y=1, padding_x=1) learning_rate_mult=1 weight_decay_mult=1 bias_learning_rate_mult=1 bias_weight_decay_mult=0
layer<13>	avg_pool (nr=2, nc=2, stride_y=2, stride_x=2, padding_y=0, padding_x=0)
layer<14>	relu
layer<15>	affine
layer<16>	con	 (num_filters=32, nr=3, nc=3, stride_y=1, stride_x=1, padding_y=1, padding_x=1) learning_rate_mult=1 weight_decay_mult=1 bias_learning_rate_mult=1 bias_weight_decay_mult=0
layer<17>	relu
layer<18>	affine
layer<19>	con	 (num_filters=32, nr=3, nc=3, stride_y=1, stride_x=1, padding_y=1, padding_x=1) learning_rate_mult=1 weight_decay_mult=1 bias_learning_rate_mult=1 bias_weight_decay_mult=0
layer<20>	input_rgb_image_sized(122.782,117.001,104.298) nr=32 nc=32
`;

/** The topology of `dnn_gender_classifier_v1.dat`, so that it reads without a printout. */
export function genderClassifierTopology(): Topology {
  return parsePrintout(GENDER_CLASSIFIER_PRINTOUT);
}
