// dlib native, timed on this machine in the same run as dlib-wasm: the face
// network at two batch sizes and the face pipeline stage by stage on the
// bench photos. Prints one JSON object on stdout; bench/native/dlib-native.mjs
// builds and runs it.
//
//   dlib-bench --models DIR --landmarks68 FILE --chips DIR --photos DIR
//              --runs N [--batches 1,16] PHOTO...
//   dlib-bench --cnn-detector FILE [--upsample U] --photos DIR --runs N PHOTO...
//
// The second form times dlib's CNN face detector (mmod_human_face_detector.dat,
// the net of dlib's dnn_mmod_face_detection_ex.cpp): each photo upsampled U
// times with pyramid_up, then net(image), as the example does; with the
// size of the tiled pyramid image the net's convolutions run on.
//
// Each figure is the median of N runs after one warm-up run. OpenBLAS is held
// to one thread (the JSON says how many it reports); dlib itself runs the
// detector, the shape predictors and its DNN layers on the calling thread.
#include <dlib/dnn.h>
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/revision.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
// OpenBLAS's own controls: the harness links libopenblas, so these resolve.
void openblas_set_num_threads(int threads);
int openblas_get_num_threads();
char* openblas_get_config();
}

using namespace dlib;

// The face recognition ResNet as dlib's model file stores it: the type must
// match the serialized layers exactly for deserialize to accept the file.
template <int filters, template <typename> class norm, int stride, typename input>
using conv_pair = norm<con<filters, 3, 3, 1, 1, relu<norm<con<filters, 3, 3, stride, stride, input>>>>>;

template <template <int, template <typename> class, int, typename> class body, int filters,
          template <typename> class norm, typename input>
using identity_block = add_prev1<body<filters, norm, 1, tag1<input>>>;

template <template <int, template <typename> class, int, typename> class body, int filters,
          template <typename> class norm, typename input>
using strided_block = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<body<filters, norm, 2, tag1<input>>>>>>;

template <int filters, typename input>
using res = relu<identity_block<conv_pair, filters, affine, input>>;
template <int filters, typename input>
using res_down = relu<strided_block<conv_pair, filters, affine, input>>;

template <typename input> using stage256a = res_down<256, input>;
template <typename input> using stage256b = res<256, res<256, res_down<256, input>>>;
template <typename input> using stage128 = res<128, res<128, res_down<128, input>>>;
template <typename input> using stage64 = res<64, res<64, res<64, res_down<64, input>>>>;
template <typename input> using stage32 = res<32, res<32, res<32, input>>>;

// dlib's CNN face detector, as dnn_mmod_face_detection_ex.cpp declares it.
template <long num_filters, typename SUBNET> using con5d = con<num_filters, 5, 5, 2, 2, SUBNET>;
template <long num_filters, typename SUBNET> using con5 = con<num_filters, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
using mmod_face_net =
    loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

using face_net = loss_metric<fc_no_bias<128, avg_pool_everything<stage256a<stage256b<stage128<stage64<stage32<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// The process's CPU time in ms: next to the wall time, a measure that a busy machine does not inflate
// (OpenBLAS runs on this one thread).
double cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string json_number(double value) {
    std::ostringstream out;
    out.precision(6);
    out << value;
    return out.str();
}

// The BLAS libraries the dynamic loader mapped: the proof of which one dlib's gemm calls reach.
std::vector<std::string> mapped_blas_libraries() {
    std::ifstream maps("/proc/self/maps");
    std::vector<std::string> found;
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string path = line.substr(slash);
        if (path.find("blas") != std::string::npos && std::find(found.begin(), found.end(), path) == found.end())
            found.push_back(path);
    }
    return found;
}

std::vector<int> parse_batches(const std::string& list) {
    std::vector<int> batches;
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');) batches.push_back(std::stoi(item));
    return batches;
}

struct options {
    std::string models, landmarks68, chips, photos, cnn_detector;
    int runs = 5;
    int upsample = 0;
    std::vector<int> batches{1, 16};
    std::vector<std::string> photo_names;
};

options parse_options(int argc, char** argv) {
    options parsed;
    std::map<std::string, std::string*> strings{{"--models", &parsed.models},
                                                {"--landmarks68", &parsed.landmarks68},
                                                {"--chips", &parsed.chips},
                                                {"--photos", &parsed.photos},
                                                {"--cnn-detector", &parsed.cnn_detector}};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (strings.count(arg) && has_value) *strings[arg] = argv[++i];
        else if (arg == "--runs" && has_value) parsed.runs = std::stoi(argv[++i]);
        else if (arg == "--upsample" && has_value) parsed.upsample = std::stoi(argv[++i]);
        else if (arg == "--batches" && has_value) parsed.batches = parse_batches(argv[++i]);
        else if (arg.rfind("--", 0) == 0) throw std::runtime_error("unknown or incomplete option " + arg);
        else parsed.photo_names.push_back(arg);
    }
    // The CNN detector's mode needs only its model and the photos.
    const bool cnn = !parsed.cnn_detector.empty();
    for (const auto& [name, value] : strings)
        if (value->empty() && (!cnn || name == "--photos") && name != "--cnn-detector")
            throw std::runtime_error(name + " is required");
    if (parsed.upsample < 0) throw std::runtime_error("--upsample must be at least 0");
    if (parsed.runs < 1) throw std::runtime_error("--runs must be at least 1");
    return parsed;
}

// The first `count` chips of the fixture folder, by file name: the chips the Node engines time.
std::vector<matrix<rgb_pixel>> load_chips(const std::string& folder, size_t count) {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        if (entry.path().extension() == ".png") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    if (files.size() < count) throw std::runtime_error("asked for more chips than " + folder + " holds");
    std::vector<matrix<rgb_pixel>> chips(count);
    for (size_t i = 0; i < count; ++i) load_image(chips[i], files[i]);
    return chips;
}

// Runs `step` once to warm up, then `runs` times; the median in ms.
double median_ms(int runs, const std::function<void()>& step) {
    step();
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
        const auto start = clock_type::now();
        step();
        times.push_back(ms_since(start));
    }
    return median(times);
}

std::string rusage_peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return json_number(usage.ru_maxrss / 1024.0);
}

// The CNN face detector on each photo: pyramid_up `upsample` times (not timed), then net(image): the
// median and the best of the runs after a warm-up (a run can only be slowed down by other processes).
int run_cnn_detector(const options& opts) {
    auto start = clock_type::now();
    mmod_face_net net;
    deserialize(opts.cnn_detector) >> net;
    const double net_load_ms = ms_since(start);
    std::ostringstream out;
    out << "{\"dlib\":" << json_string(std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
                                       std::to_string(DLIB_PATCH_VERSION))
        << ",\"compiler\":" << json_string(__VERSION__) << ",\"openblasConfig\":" << json_string(openblas_get_config())
        << ",\"openblasThreads\":" << openblas_get_num_threads() << ",\"runs\":" << opts.runs
        << ",\"upsample\":" << opts.upsample << ",\"netLoadMs\":" << json_number(net_load_ms) << ",\"photos\":[";
    for (size_t p = 0; p < opts.photo_names.size(); ++p) {
        const std::string& photo = opts.photo_names[p];
        matrix<rgb_pixel> image;
        load_image(image, opts.photos + "/" + photo);
        for (int u = 0; u < opts.upsample; ++u) pyramid_up(image);
        resizable_tensor tiled;
        net.input_layer().to_tensor(&image, &image + 1, tiled);
        size_t faces = 0;
        faces = net(image).size();  // warm-up
        std::vector<double> times;
        for (int r = 0; r < opts.runs; ++r) {
            const auto run_start = clock_type::now();
            net(image);
            times.push_back(ms_since(run_start));
        }
        out << (p ? "," : "") << "{\"photo\":" << json_string(photo) << ",\"width\":" << image.nc()
            << ",\"height\":" << image.nr() << ",\"tiledWidth\":" << tiled.nc() << ",\"tiledHeight\":" << tiled.nr()
            << ",\"faces\":" << faces << ",\"ms\":" << json_number(median(times))
            << ",\"bestMs\":" << json_number(*std::min_element(times.begin(), times.end()))
            << ",\"peakRssMiB\":" << rusage_peak_rss_mib() << "}";
    }
    out << "],\"peakRssMiB\":" << rusage_peak_rss_mib() << "}\n";
    std::cout << out.str();
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    const options opts = parse_options(argc, argv);
    openblas_set_num_threads(1);
    if (!opts.cnn_detector.empty()) return run_cnn_detector(opts);

    const int largest_batch = *std::max_element(opts.batches.begin(), opts.batches.end());
    const auto chips = load_chips(opts.chips, largest_batch);

    // Cold start: model file -> first descriptor, as the Node engines' cold starts count it.
    auto start = clock_type::now();
    face_net net;
    deserialize(opts.models + "/dlib_face_recognition_resnet_model_v1.dat") >> net;
    const double net_load_ms = ms_since(start);
    net(chips[0]);
    const double cold_start_ms = ms_since(start);

    frontal_face_detector detector;
    shape_predictor landmarks5, landmarks68;
    if (!opts.photo_names.empty()) {
        deserialize(opts.models + "/frontal_face_detector.dat") >> detector;
        deserialize(opts.models + "/shape_predictor_5_face_landmarks_lfw.dat") >> landmarks5;
        deserialize(opts.landmarks68) >> landmarks68;
    }

    std::ostringstream out;
    out << "{\"dlib\":" << json_string(std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) + "." +
                                       std::to_string(DLIB_PATCH_VERSION))
        << ",\"compiler\":" << json_string(__VERSION__) << ",\"openblasConfig\":" << json_string(openblas_get_config())
        << ",\"openblasThreads\":" << openblas_get_num_threads() << ",\"runs\":" << opts.runs
        << ",\"netLoadMs\":" << json_number(net_load_ms) << ",\"coldStartMs\":" << json_number(cold_start_ms);
    out << ",\"msPerFace\":{";
    for (size_t b = 0; b < opts.batches.size(); ++b) {
        const int batch = opts.batches[b];
        const std::vector<matrix<rgb_pixel>> inputs(chips.begin(), chips.begin() + batch);
        const double ms = median_ms(opts.runs, [&] { net(inputs, batch); });
        out << (b ? "," : "") << "\"" << batch << "\":" << json_number(ms / batch);
    }
    out << "}";

    out << ",\"photos\":[";
    for (size_t p = 0; p < opts.photo_names.size(); ++p) {
        const std::string& photo = opts.photo_names[p];
        std::map<std::string, std::vector<double>> stages;
        std::vector<double> cpu_times;
        size_t faces = 0;
        for (int r = 0; r <= opts.runs; ++r) {
            std::map<std::string, double> ms;
            const double cpu_start = cpu_ms();
            start = clock_type::now();
            array2d<rgb_pixel> image;
            load_image(image, opts.photos + "/" + photo);
            ms["decode"] = ms_since(start);

            // Upsampled once, as dlib-wasm's detectFaces(image, { upsample: 1 }) and dlib's Python
            // detector(img, 1) do, and the boxes mapped back to the photo's own coordinates.
            start = clock_type::now();
            pyramid_down<2> down;
            array2d<rgb_pixel> upsampled;
            pyramid_up(image, upsampled, down);
            std::vector<rectangle> boxes = detector(upsampled);
            for (auto& box : boxes) box = down.rect_down(box);
            ms["detect"] = ms_since(start);

            const double landmarks5_cpu_start = cpu_ms();
            start = clock_type::now();
            std::vector<full_object_detection> shapes5;
            for (const auto& box : boxes) shapes5.push_back(landmarks5(image, box));
            ms["landmarks5"] = ms_since(start);
            const double landmarks5_cpu = cpu_ms() - landmarks5_cpu_start;

            start = clock_type::now();
            std::vector<full_object_detection> shapes68;
            for (const auto& box : boxes) shapes68.push_back(landmarks68(image, box));
            ms["landmarks68"] = ms_since(start);

            start = clock_type::now();
            dlib::array<matrix<rgb_pixel>> face_chips;
            extract_image_chips(image, get_face_chip_details(shapes5, 150, 0.25), face_chips);
            ms["chips"] = ms_since(start);

            start = clock_type::now();
            const std::vector<matrix<rgb_pixel>> batch(face_chips.begin(), face_chips.end());
            const auto descriptors = net(batch);
            ms["descriptors"] = ms_since(start);

            faces = descriptors.size();
            if (r == 0) continue;  // warm-up
            for (const auto& [stage, value] : ms) stages[stage].push_back(value);
            // The CPU time of the stages a run with 68-point landmarks has (the 5-point ones' left out).
            cpu_times.push_back(cpu_ms() - cpu_start - landmarks5_cpu);
        }
        out << (p ? "," : "") << "{\"photo\":" << json_string(photo) << ",\"faces\":" << faces
            << ",\"cpuMs\":" << json_number(median(cpu_times)) << ",\"ms\":{";
        bool first = true;
        for (const auto& [stage, values] : stages) {
            out << (first ? "" : ",") << "\"" << stage << "\":" << json_number(median(values));
            first = false;
        }
        out << "}}";
    }
    out << "]";

    out << ",\"blasLibraries\":[";
    const auto libraries = mapped_blas_libraries();
    for (size_t i = 0; i < libraries.size(); ++i) out << (i ? "," : "") << json_string(libraries[i]);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    out << "],\"peakRssMiB\":" << json_number(usage.ru_maxrss / 1024.0) << "}\n";
    std::cout << out.str();
    return 0;
} catch (const std::exception& error) {
    std::cerr << "dlib-bench: " << error.what() << "\n";
    return 1;
}
