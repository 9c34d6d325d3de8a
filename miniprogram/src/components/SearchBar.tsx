import { Button, Input, View } from '@tarojs/components';
import { useEffect, useState } from 'react';

import './search-bar.scss';

interface SearchBarProps {
  initialValue?: string;
  onSearch: (text: string) => void;
}

/** Text box with a search button; the keyboard's confirm key also searches. */
export function SearchBar({ initialValue = '', onSearch }: SearchBarProps) {
  const [text, setText] = useState(initialValue);

  useEffect(() => setText(initialValue), [initialValue]);

  const submit = () => onSearch(text.trim());

  return (
    <View className="search-bar">
      <Input
        className="search-input"
        data-testid="search-input"
        type="text"
        confirmType="search"
        placeholder="搜索课程，支持拼音首字母"
        value={text}
        onInput={(event) => setText(event.detail.value)}
        onConfirm={submit}
      />
      <Button className="search-button" data-testid="search-button" size="mini" onClick={submit}>
        搜索
      </Button>
    </View>
  );
}
