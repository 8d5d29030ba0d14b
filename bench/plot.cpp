#include "bench/plot.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace edgecache::bench {

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

cachelib::Status runGnuplot(const std::filesystem::path& script) {
  const std::string cmd = "gnuplot " + quote(script.string()) + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return cachelib::Status::error("plot: cannot run gnuplot (install gnuplot-nox)");
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
  const int rc = ::pclose(p);
  if (rc != 0) {
    const auto nl = output.find('\n');
    return cachelib::Status::error("plot: gnuplot failed: " +
                                   (output.empty() ? "exit " + std::to_string(rc) : output.substr(0, nl)));
  }
  return cachelib::Status::ok();
}

// Writes every series of every panel as consecutive gnuplot data sets.
void writeData(const std::filesystem::path& data, const std::vector<Panel>& panels) {
  std::ofstream d(data);
  for (const Panel& panel : panels)
    for (const Series& s : panel.series) {
      for (const auto& [x, y] : s.points) d << x << ' ' << y << '\n';
      d << "\n\n";
    }
}

}  // namespace

cachelib::Status plotPanels(const std::string& pngPath, const PlotSpec& spec, const std::vector<Panel>& panels) {
  const auto dir = std::filesystem::temp_directory_path() / ("edgecache-plot-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto data = dir / "data.txt";
  const auto script = dir / "plot.gp";
  writeData(data, panels);
  {
    std::ofstream g(script);
    g << "set terminal pngcairo size " << spec.width << "," << spec.height << " noenhanced font 'sans,10'\n"
      << "set output " << quote(pngPath) << "\n";
    if (panels.size() > 1) g << "set multiplot layout " << panels.size() << ",1 title " << quote(spec.title) << "\n";
    else g << "set title " << quote(spec.title) << "\n";
    g << "set grid\nset key outside right\nset lmargin 14\nset rmargin 30\n";
    if (spec.logX) g << "set logscale x 2\n";
    std::size_t dataset = 0;
    for (std::size_t i = 0; i < panels.size(); ++i) {
      const Panel& panel = panels[i];
      g << "set ylabel " << quote(panel.yLabel) << "\n";
      g << (i + 1 == panels.size() ? "set xlabel " + quote(spec.xLabel) + "\n" : "unset xlabel\n");
      g << (panel.logY ? "set logscale y\n" : "unset logscale y\n");
      if (!panel.yTics.empty()) {
        g << "set ytics (";
        for (std::size_t t = 0; t < panel.yTics.size(); ++t)
          g << (t ? ", " : "") << quote(panel.yTics[t].second) << " " << panel.yTics[t].first;
        g << ")\nset yrange [" << panel.yTics.front().first - 0.5 << ":" << panel.yTics.back().first + 0.5 << "]\n";
      } else {
        g << "set ytics autofreq\nset autoscale y\n";
      }
      g << "plot ";
      for (std::size_t s = 0; s < panel.series.size(); ++s, ++dataset) {
        if (s) g << ", ";
        g << quote(data.string()) << " index " << dataset << " using 1:2 with "
          << (panel.steps ? "steps" : (panel.series[s].points.size() > 60 ? "lines" : "linespoints")) << " lw 2 title "
          << quote(panel.series[s].name);
      }
      g << "\n";
    }
    if (panels.size() > 1) g << "unset multiplot\n";
  }
  auto st = runGnuplot(script);
  std::filesystem::remove_all(dir);
  return st;
}

cachelib::Status plotLines(const std::string& pngPath, const PlotSpec& spec, const std::vector<Series>& series) {
  return plotPanels(pngPath, spec, {Panel{.yLabel = spec.yLabel, .series = series}});
}

}  // namespace edgecache::bench
