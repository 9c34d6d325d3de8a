// Babel configuration read by the Taro webpack5 runner. Options of babel-preset-taro:
// framework and TypeScript support; the runner adds the per-platform settings.
module.exports = {
  presets: [
    [
      'taro',
      {
        framework: 'react',
        ts: true,
        compiler: 'webpack5',
      },
    ],
  ],
};
