#pragma once
// PNG line plots through gnuplot (package gnuplot-nox). Data go through a
// temporary file; the gnuplot process is run synchronously.

#include <string>
#include <utility>
#include <vector>

#include "cachelib/status.h"

namespace edgecache::bench {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

struct PlotSpec {
  std::string title;
  std::string xLabel;
  std::string yLabel;
  bool logX = false;
  int width = 1000;
  int height = 600;
};

// One panel of a stacked figure sharing the x axis.
struct Panel {
  std::string yLabel{};
  std::vector<Series> series{};
  bool steps = false;                                  // draw as steps (decisions)
  std::vector<std::pair<double, std::string>> yTics{};  // named y values (e.g. policy names)
  bool logY = false;
};

// Fails (with gnuplot's first error line) when gnuplot is missing or fails.
cachelib::Status plotLines(const std::string& pngPath, const PlotSpec& spec, const std::vector<Series>& series);
// Panels stacked vertically in one PNG (spec.yLabel unused).
cachelib::Status plotPanels(const std::string& pngPath, const PlotSpec& spec, const std::vector<Panel>& panels);

}  // namespace edgecache::bench
