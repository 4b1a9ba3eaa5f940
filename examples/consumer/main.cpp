// Extracts 2x2 stride-2 patches (space-to-depth) with the C++ API; errors as exceptions.
#include <patchjit/patchjit.hpp>

#include <iostream>
#include <vector>

int main() {
  try {
    patchjit::Spec spec(PJ_UINT8, {1, 4, 4, 1});
    spec.ksizes(2, 2).strides(2, 2).padding(PJ_PADDING_VALID);
    patchjit::Kernel kernel = patchjit::Kernel::create(spec);
    std::vector<unsigned char> image(16), patches(kernel.output_bytes());
    for (int i = 0; i < 16; ++i) image[i] = static_cast<unsigned char>(i);
    kernel.run(image.data(), patches.data());
    patchjit::Shape shape = kernel.output_shape();
    std::cout << "C++: output [" << shape[0] << "," << shape[1] << "," << shape[2] << "," << shape[3]
              << "]; first patch:";
    for (int i = 0; i < 4; ++i) std::cout << " " << int(patches[i]);
    std::cout << "\n";
    // The first patch is input pixels (0,0), (0,1), (1,0), (1,1).
    bool ok = patches[0] == 0 && patches[1] == 1 && patches[2] == 4 && patches[3] == 5;
    // An invalid spec is an exception with TensorFlow's message.
    patchjit::Spec bad(PJ_UINT8, {1, 4, 4, 1});
    bad.ksizes(0, 2);
    try {
      patchjit::Kernel::create(bad);
      ok = false;
    } catch (const patchjit::Error& e) {
      std::cout << "C++: expected error: " << e.what() << "\n";
    }
    return ok ? 0 : 1;
  } catch (const patchjit::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
